"""Type checkers accept the forms the constructors document (mypy on user code)."""

from __future__ import annotations

from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

USER_CODE = """
from matcher import Need, Policy, Problem, Volunteer, solve

v = Volunteer("v1", ["driving"], (1.0, 2.0), slots=["sat-am"], categories=["rides"])
w = Volunteer("v2", {"nursing": 3}, [1.0, 2.0], capacity=2, extra={"phone": "x"})
n = Need("n1", "rides", ["driving"], (1.0, 2.0), slot="sat-am")
p = Problem([v, w], [n], Policy(weights={"distance": 2.0}, participation_floors={"u": 1}))
levels: int = v.skills["driving"]
free: frozenset[str] | None = v.slots
r = solve(p, "flow")
"""

WRONG = """
from matcher import Volunteer

Volunteer("v1", ["driving"], (1.0, 2.0), capacity="two")
"""


def _mypy(tmp_path: Path, code: str) -> tuple[str, int]:
    f = tmp_path / "user.py"
    f.write_text(code)
    out, err, status = api.run(
        [str(f), "--strict", "--no-incremental", "--config-file", "", "--cache-dir", str(tmp_path)]
    )
    return out + err, status


def test_documented_constructor_forms_type_check(tmp_path: Path) -> None:
    out, status = _mypy(tmp_path, USER_CODE)
    assert status == 0, out


def test_a_wrong_type_is_still_refused(tmp_path: Path) -> None:
    out, status = _mypy(tmp_path, WRONG)
    assert status == 1 and '"capacity"' in out, out
