"""The roster: one row per task of each volunteer, by volunteer, then slot, then need."""

from __future__ import annotations

from test_plan_out import documented

from matcher import Need, Policy, Problem, Volunteer, solve
from matcher import io as mio
from matcher.cli import main

PLANE = Policy(geometry="plane", max_distance_km=3.0)


def hand_made() -> Problem:
    vols = [
        Volunteer("bo", {"driving": 2}, (0.0, 1.0), capacity=3, extra={"name": "Bo", "phone": "1"}),
        Volunteer("ana", {"nursing": 3}, (0.3, 0.4), capacity=2, extra={"name": "Ana Li"}),
        Volunteer("idle", {"legal": 5}, (9.0, 9.0)),  # no task: not in the roster
    ]
    needs = [
        Need("n9", "medical", {"driving": 1}, (0.0, 0.0), slot="sun-am", household="h9"),
        Need("n1", "medical", {"driving": 1}, (0.0, 0.0), slot="sat-am", community="c1",
             building="b1", household="b1-101"),
        Need("n2", "repair", {}, (0.0, 0.0)),
        Need("n3", "elderly_care", {"nursing": 2}, (0.0, 0.0), slot="sat-am",
             extra={"resident": "not for the members"}),
    ]  # fmt: skip
    return Problem(vols, needs, PLANE)


ROSTER = """\
volunteer_id,volunteer.name,category,skills,need_community,need_building,need_household,distance_km,slot,need_id
ana,Ana Li,elderly_care,nursing 2 (has 3),,,,0.50,sat-am,n3
ana,Ana Li,repair,,,,,0.50,,n2
bo,Bo,medical,driving 1 (has 2),c1,b1,b1-101,1.00,sat-am,n1
bo,Bo,medical,driving 1 (has 2),,,h9,1.00,sun-am,n9
"""


def test_roster_of_a_hand_made_problem(tmp_path):
    p = hand_made()
    r = solve(p)
    assert {(m.need_id, m.volunteer_id) for m in r.matches} == {
        ("n1", "bo"), ("n2", "ana"), ("n3", "ana"), ("n9", "bo")
    }  # fmt: skip
    mio.write_roster_csv(r, p, tmp_path / "roster.csv")
    assert (tmp_path / "roster.csv").read_text(encoding="utf-8") == ROSTER
    mio.write_roster_csv(r, p, tmp_path / "bom.csv", bom=True)
    assert (tmp_path / "bom.csv").read_bytes() == b"\xef\xbb\xbf" + ROSTER.encode("utf-8")


def test_roster_table_is_typed_and_names_are_optional():
    p = hand_made()
    r = solve(p)
    header, rows = mio.roster_table(r, p)
    assert header == documented("The roster's columns")
    assert rows[0][header.index("distance_km")] == 0.5
    header, rows = mio.roster_table(r, p, name_column="phone")
    assert header[1] == "volunteer.phone" and [row[1] for row in rows] == ["", "", "1", "1"]
    header, rows = mio.roster_table(r, p, name_column="姓名")
    assert header == list(mio.ROSTER_COLUMNS) and len(rows) == 4


def test_empty_plan_has_a_header_only():
    p = Problem([], [Need("n", "c", [], (0.0, 0.0))], PLANE)
    header, rows = mio.roster_table(solve(p), p)
    assert header == list(mio.ROSTER_COLUMNS) and rows == []


def test_roster_command_equals_solve_roster_csv(tmp_path, capsys):
    p = hand_made()
    mio.write_volunteers_csv(p.volunteers, tmp_path / "v.csv", geometry="plane")
    mio.write_needs_csv(p.needs, tmp_path / "n.csv", geometry="plane")
    mio.write_json(p.policy, tmp_path / "p.json")
    files = ["--volunteers", str(tmp_path / "v.csv"), "--needs", str(tmp_path / "n.csv")]
    solve_argv = ["solve", *files, "--policy", str(tmp_path / "p.json"), "--quiet",
                  "--out", str(tmp_path / "r.json"), "--roster-csv", str(tmp_path / "a.csv")]  # fmt: skip
    assert main(solve_argv) == 0
    # without --policy, the policy the result was solved under
    roster_argv = ["roster", str(tmp_path / "r.json"), *files, "--out", str(tmp_path / "b.csv")]
    assert main(roster_argv) == 0
    assert capsys.readouterr().out == (
        f"matcher roster: wrote {tmp_path / 'b.csv'} (4 tasks of 2 volunteers)\n"
    )
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == ROSTER
    assert (tmp_path / "b.csv").read_text(encoding="utf-8") == ROSTER
    assert main([*roster_argv, "--bom"]) == 0
    assert (tmp_path / "b.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_roster_command_needs_the_problem(tmp_path, capsys):
    p = hand_made()
    mio.write_json(solve(p), tmp_path / "r.json")
    assert main(["roster", str(tmp_path / "r.json"), "--out", str(tmp_path / "x.csv")]) == 2
    assert "--volunteers/--needs or --problem" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
    argv = ["roster", str(tmp_path / "r.json"), "--out", str(tmp_path / "x.csv"),
            "--history", "h.csv"]  # fmt: skip
    assert main(argv) == 2
    assert not (tmp_path / "x.csv").exists()
