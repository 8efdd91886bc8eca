"""Common policy settings as command-line flags, over the policy file; missing extras exit 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import matcher
from matcher import Policy
from matcher.cli import main
from matcher.errors import DISTRIBUTION, MissingDependency, install_command
from matcher.synthetic import generate


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    com = generate(rng=5, n_communities=2, buildings_per_community=6)
    matcher.io.write_volunteers_csv(com.volunteers, tmp_path / "v.csv")
    matcher.io.write_needs_csv(com.needs, tmp_path / "n.csv")
    matcher.io.write_json(Policy(max_distance_km=3.0, load_penalty=0.1), tmp_path / "p.json")
    return {k: str(tmp_path / f) for k, f in (("v", "v.csv"), ("n", "n.csv"), ("p", "p.json"))}


def solved_policy(out: Path) -> dict:
    return json.loads(out.read_text(encoding="utf-8"))["provenance"]["policy"]


def test_flags_override_the_policy_file_and_the_result_records_them(files, tmp_path, capsys):
    out = tmp_path / "r.json"
    base = ["solve", "--volunteers", files["v"], "--needs", files["n"], "--policy", files["p"]]
    flags = [
        "--max-distance-km",
        "1.5",
        "--same-community",
        "--no-one-need-per-slot",
        "--load-penalty",
        "0.5",
        "--unmatched-cost",
        "2",
    ]
    assert main([*base, *flags, "--out", str(out), "--quiet"]) == 0
    pol = solved_policy(out)
    assert (pol["max_distance_km"], pol["same_community"], pol["one_need_per_slot"]) == (
        1.5,
        True,
        False,
    )
    assert (pol["load_penalty"], pol["unmatched_cost"]) == (0.5, 2.0)
    # verify without --policy: the recorded policy (with the flags), so the plan verifies
    capsys.readouterr()
    assert main(["verify", "--volunteers", files["v"], "--needs", files["n"], str(out)]) == 0
    assert capsys.readouterr().out.startswith("OK:")


def test_flags_not_given_leave_the_file_as_it_is(files, tmp_path):
    out = tmp_path / "r.json"
    args = ["solve", "--volunteers", files["v"], "--needs", files["n"], "--policy", files["p"]]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    pol = solved_policy(out)
    assert (pol["max_distance_km"], pol["load_penalty"]) == (3.0, 0.1)
    assert main([*args, "--max-distance-km", "none", "--out", str(out), "--quiet"]) == 0
    assert solved_policy(out)["max_distance_km"] is None


def test_a_bad_flag_value_is_bad_input_and_nothing_is_written(files, tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(
        [
            "solve",
            "--volunteers",
            files["v"],
            "--needs",
            files["n"],
            "--max-distance-km",
            "-1",
            "--out",
            str(out),
        ]
    )
    assert code == 2 and not out.exists()
    assert "`max_distance_km` must be a finite number > 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # not a number: argparse says so, exit 2
        main(
            [
                "solve",
                "--volunteers",
                files["v"],
                "--needs",
                files["n"],
                "--load-penalty",
                "lots",
                "--out",
                str(out),
            ]
        )
    assert exc.value.code == 2


def test_demo_takes_the_flags_too(capsys):
    assert main(["demo", "--json", "--max-distance-km", "1.0"]) == 0
    narrow = json.loads(capsys.readouterr().out)
    assert main(["demo", "--json"]) == 0
    wide = json.loads(capsys.readouterr().out)
    assert narrow["metrics"]["coverage"] < wide["metrics"]["coverage"]


def test_a_missing_extra_exits_2_with_the_exact_install_command(
    files, tmp_path, monkeypatch, capsys
):
    r = tmp_path / "r.json"
    assert (
        main(
            ["solve", "--volunteers", files["v"], "--needs", files["n"], "--out", str(r), "--quiet"]
        )
        == 0
    )
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    html = tmp_path / "report.html"
    code = main(
        ["report", str(r), "--volunteers", files["v"], "--needs", files["n"], "--out", str(html)]
    )
    err = capsys.readouterr().err
    assert code == 2 and not html.exists()
    assert 'pip install "volunteer-matcher[report]"' in err
    assert install_command("report") == f'pip install "{DISTRIBUTION}[report]"'
    assert issubclass(MissingDependency, ImportError)
