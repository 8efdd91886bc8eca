"""Lossless round trips, drawn by Hypothesis: Problem and Result through JSON, records through CSV.

Counts under the default ``ci`` profile (``strategies.budget``): 1,050 problems
through JSON (each also solved, its Result through JSON), 700 through CSV.
Extra fields carry arbitrary text (Chinese, commas, quotes, semicolons,
newlines); ids and names may be non-ASCII.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import budget, problems

from matcher import InputError, Problem, Result, solve, verify
from matcher import io as mio

# Text a platform might keep in its own columns: names, phones, rooms, notes.
EXTRA_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\n\t,;:\"'"
    ),
    max_size=12,
)
EXTRA_KEYS = st.sampled_from(["name", "phone", "room", "备注", "e-mail"])


def with_extras(data: Any, p: Problem, csv_safe: bool = False) -> Problem:
    """*p* with random extra fields on every record (the same keys within a kind)."""
    text = EXTRA_TEXT
    if csv_safe:  # CSV cells are stripped: keep values without edge whitespace
        text = EXTRA_TEXT.map(str.strip)

    def dress(records: tuple[Any, ...]) -> list[Any]:
        keys = data.draw(st.lists(EXTRA_KEYS, unique=True, max_size=3))
        return [replace(r, extra={k: data.draw(text) for k in keys}) for r in records]

    return Problem(
        dress(p.volunteers), dress(p.needs), p.policy, pinned=p.pinned, forbidden=p.forbidden
    )


@settings(max_examples=budget(1.5))
@given(problems(5, 6), st.data())
def test_problem_and_result_round_trip_through_json(problem: Problem, data: Any) -> None:
    p = with_extras(data, problem)
    text = json.dumps(mio.problem_to_dict(p), ensure_ascii=False)
    again = mio.problem_from_dict(json.loads(text))
    assert again == p
    assert [v.extra for v in again.volunteers] == [v.extra for v in p.volunteers]

    r = solve(p)
    back = Result.from_json(r.to_json())
    assert back == r
    assert back.to_json(timings=False) == r.to_json(timings=False)
    assert back.timings == r.timings
    assert verify(p, back) == []
    if data.draw(st.booleans()):  # a re-plan carries its churn through too
        churn = data.draw(st.sampled_from([None, 0.0, 0.3, 1e3]))
        again_r = solve(p, previous=r, churn_cost=churn)
        back = Result.from_json(again_r.to_json())
        assert back == again_r and back.churn == again_r.churn
        assert verify(p, back) == []


def _via_files(p: Problem, geometry: str) -> Problem:
    with tempfile.TemporaryDirectory() as tmp:
        v, n = Path(tmp) / "v.csv", Path(tmp) / "n.csv"
        mio.write_volunteers_csv(p.volunteers, v, geometry=geometry)
        mio.write_needs_csv(p.needs, n, geometry=geometry)
        # allow_empty: a problem may have no volunteers or no needs (a header-only file)
        first = mio.read_problem(v, n, p.policy, allow_empty=True)
        mio.write_volunteers_csv(first.volunteers, v, geometry=geometry)
        mio.write_needs_csv(first.needs, n, geometry=geometry)
        again = mio.read_problem(v, n, p.policy, allow_empty=True)
        assert again == first  # in -> out -> in is stable
        return first


@settings(max_examples=budget(1.0))
@given(problems(5, 6, max_pinned=0, max_forbidden=0), st.data())
def test_records_round_trip_through_csv(problem: Problem, data: Any) -> None:
    p = with_extras(data, problem, csv_safe=True)
    if any(v.slots == frozenset() for v in p.volunteers):
        # "Free in no slot" has no CSV spelling (an empty cell means "any slot"):
        # the writer must refuse rather than turn it into "any slot".
        with pytest.raises(InputError) as err:
            _via_files(p, p.policy.geometry)
        assert err.value.problems[0].field == "slots"
        return
    again = _via_files(p, p.policy.geometry)
    assert again == p
