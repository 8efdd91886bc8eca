"""Names that cannot meet: a need's slot or skill that no volunteer has, with the nearest name."""

from __future__ import annotations

import json

import pytest

from matcher import InputError, Need, Problem, Volunteer
from matcher.cli import main
from matcher.model import NameWarning, unmet_names
from matcher.model.names import damerau_levenshtein, nearest_name

HERE = (31.23, 121.47)


def vol(vid: str, skills: dict[str, int], slots: list[str] | None = None) -> Volunteer:
    return Volunteer(vid, skills, HERE, slots=slots)


def need(nid: str, skills: dict[str, int], slot: str | None = None) -> Need:
    return Need(nid, "care", skills, HERE, slot=slot)


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [("", "", 0), ("abc", "abc", 0), ("abc", "acb", 1), ("priorty", "priority", 1),
     ("kitten", "sitting", 3), ("", "abc", 3), ("ca", "abc", 3), ("slots", "slost", 1)],
)  # fmt: skip
def test_damerau_levenshtein(a, b, d):
    assert damerau_levenshtein(a, b) == damerau_levenshtein(b, a) == d


def test_nearest_name_is_a_likely_misspelling_or_nothing():
    known = ["sat-am", "sat-pm", "sun-pm", "nursing"]
    assert nearest_name("Sat-AM", known) == "sat-am"
    assert nearest_name("sat_am", known) == "sat-am"
    assert nearest_name("nursng", known) == "nursing"
    assert nearest_name("sat-pn", known) == "sat-pm"
    assert nearest_name("gardening", known) is None
    assert nearest_name("b", ["a"]) is None  # one letter is no misspelling of another
    assert nearest_name("x", list(reversed(known))) == nearest_name("x", known)


def test_unmet_slots_and_skills_each_with_their_needs_and_the_nearest_name():
    p = Problem(
        [vol("v1", {"nursing": 3}, ["sat-am"]), vol("v2", {"driving": 1}, ["sun-pm"])],
        [
            need("n1", {"nursing": 2}, "Sat-AM"),
            need("n2", {"nursng": 1}, "sat-am"),
            need("n3", {"gardening": 1, "nursng": 2}, "Sat-AM"),
            need("n4", {"driving": 5}),  # too high a level is not a name problem
        ],
    )
    assert unmet_names(p) == [
        NameWarning("slot", "Sat-AM", ("n1", "n3"), "sat-am"),
        NameWarning("skill", "gardening", ("n3",), None),
        NameWarning("skill", "nursng", ("n2", "n3"), "nursing"),
    ]
    assert [str(w) for w in unmet_names(p)] == [
        "slot `Sat-AM` (needs n1, n3): no volunteer lists it; did you mean `sat-am`?",
        "skill `gardening` (need n3): no volunteer has it",
        "skill `nursng` (needs n2, n3): no volunteer has it; did you mean `nursing`?",
    ]


def test_a_volunteer_free_any_time_meets_every_slot():
    p = Problem([vol("v1", {}, ["sat-am"]), vol("v2", {})], [need("n1", {}, "Mon-PM")])
    assert unmet_names(p) == []


def test_no_volunteers_no_warnings_and_long_lists_are_cut():
    assert unmet_names(Problem([], [need("n1", {"x": 1}, "s")])) == []
    p = Problem([vol("v1", {})], [need(f"n{i}", {"cooking": 1}) for i in range(5)])
    (w,) = unmet_names(p)
    assert str(w) == "skill `cooking` (needs n0, n1, n2 and 2 more): no volunteer has it"
    assert w.to_dict()["need_ids"] == ["n0", "n1", "n2", "n3", "n4"]


FILES = {
    "v.csv": "id,skills,lat,lon,slots\nv1,nursing:3,31.23,121.47,sat-am\n",
    "n.csv": "id,category,skills,lat,lon,slot\nn1,care,nursing:2,31.23,121.47,Sat-AM\n",
}


@pytest.fixture
def files(tmp_path, monkeypatch):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_solve_prints_the_warnings_and_strict_refuses(files, capsys):
    argv = ["solve", "--volunteers", "v.csv", "--needs", "n.csv", "--out", "r.json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        "Warnings: 1 name(s) no volunteer has (--strict makes them errors):\n"
        "  slot `Sat-AM` (need n1): no volunteer lists it; did you mean `sat-am`?"
    )
    assert main([*argv[:-1], "r2.json", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["warnings"] == [
        {
            "kind": "slot",
            "name": "Sat-AM",
            "need_ids": ["n1"],
            "suggestion": "sat-am",
            "message": "slot `Sat-AM` (need n1): no volunteer lists it; did you mean `sat-am`?",
        }
    ]
    assert main([*argv[:-1], "r3.json", "--strict"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == (
        "matcher: 1 problem in the input:\n"
        "  need n1: `slot` must be a slot listed by some volunteer; got 'Sat-AM'. "
        "Fix: did you mean `sat-am`?\n"
    )
    assert not (files / "r3.json").exists()


def test_the_demo_warns_of_the_skill_no_member_has(capsys):
    # a real gap, not a typo: one resident needs sign language, no member has it
    assert main(["demo", "--json"]) == 0
    (w,) = json.loads(capsys.readouterr().out)["warnings"]
    assert (w["kind"], w["name"], w["suggestion"]) == ("skill", "sign_language", None)
    assert main(["demo", "--strict"]) == 2
    assert "`skill` must be a skill held by some volunteer; got 'sign_language'" in (
        capsys.readouterr().err
    )


def test_strict_problems_are_input_problems():
    p = Problem([vol("v1", {"a": 1})], [need("n1", {"b": 1})])
    (w,) = unmet_names(p)
    err = InputError([w.to_problem()])
    assert str(err) == (
        "1 problem in the input:\n  need n1: `skill` must be a skill held by some volunteer; got 'b'."
    )
