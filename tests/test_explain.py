"""Explanations in detail: ``matcher.planning.explain`` names what the binding rule found missing.

One hand-made problem per binding filter (skills, distance, slot, community,
availability, taken, not worth it, team) with its exact sentence; the full
``explain`` text; the command line; and a property: on random problems, the
sentence of every unserved need is the one of its ``Unmatched.reason``.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import budget, medium_problems, tiny_problems

from matcher import Need, Policy, Problem, Volunteer, solve
from matcher import io as mio
from matcher.cli import main
from matcher.planning import explain, explain_unserved
from matcher.result import REASONS

PLANE = Policy(geometry="plane", max_distance_km=3.0)


def why(volunteers, needs, policy=PLANE, need="n1", **kwargs):
    """The sentence of *need* (unserved) in the plan of the problem."""
    problem = Problem(volunteers, needs, policy, **kwargs)
    result = solve(problem)
    return {u.need_id: u.reason for u in result.unmatched}[need], explain_unserved(problem, result)[
        need
    ]


def vol(vid, skills, x=0.5, **kw):
    return Volunteer(vid, skills, (x, 0.0), **kw)


def need(nid, skills, x=0.0, **kw):
    return Need(nid, kw.pop("category", "care"), skills, (x, 0.0), **kw)


# --------------------------------------------------------------------------- skills


def test_no_volunteer_has_the_skill():
    assert why([vol("ana", {"nursing": 3})], [need("n1", {"legal": 3})]) == (
        "no_skill",
        "no volunteer has legal",
    )


def test_the_best_holder_within_reach_has_a_lower_level():
    assert why([vol("ana", {"legal": 1})], [need("n1", {"legal": 3})]) == (
        "no_skill",
        "needs legal 3; the best holder within reach has legal 1",
    )


def test_a_better_holder_out_of_reach_is_named_too():
    vols = [vol("ana", {"legal": 1}), vol("bo", {"legal": 2}, x=10.0)]
    assert why(vols, [need("n1", {"legal": 3})])[1] == (
        "needs legal 3; the best holder within reach has legal 1 (the best anywhere has legal 2)"
    )


def test_the_only_holders_are_out_of_reach():
    vols = [vol("bo", {"legal": 2}, x=10.0)]
    assert why(vols, [need("n1", {"legal": 3})])[1] == (
        "needs legal 3; the best holder, out of reach, has legal 2"
    )


def test_each_skill_held_but_never_together():
    vols = [vol("ana", {"nursing": 2}), vol("bo", {"driving": 1})]
    assert why(vols, [need("n1", {"nursing": 2, "driving": 1})]) == (
        "no_skill",
        "no volunteer has all of driving 1, nursing 2 together (each is held by someone)",
    )


def test_one_line_per_skill_missing():
    vols = [vol("ana", {"nursing": 1})]
    assert why(vols, [need("n1", {"nursing": 2, "legal": 1})])[1] == (
        "no volunteer has legal; needs nursing 2; the best holder within reach has nursing 1"
    )


def test_no_volunteers_at_all():
    assert why([], [need("n1", {})]) == ("no_skill", "there are no volunteers in the problem")


# --------------------------------------------------------------------------- distance


def test_nearest_volunteer_against_the_limit():
    vols = [vol("ana", ["driving"], x=4.2), vol("bo", ["driving"], x=5.0), vol("cy", [], x=0.1)]
    assert why(vols, [need("n1", ["driving"])]) == (
        "out_of_range",
        "the nearest volunteer with the skills, 'ana', is 4.20 km away; the limit is 3.00 km",
    )


def test_the_volunteers_own_limit():
    vols = [vol("ana", ["driving"], x=2.0, max_distance_km=1.0)]
    assert why(vols, [need("n1", ["driving"])])[1] == (
        "the nearest volunteer with the skills, 'ana', is 2.00 km away; "
        "the limit is 1.00 km (their own max_distance_km)"
    )


def test_the_volunteer_nearest_to_their_limit_when_not_the_nearest():
    vols = [vol("ana", ["driving"], x=3.5, max_distance_km=1.0), vol("bo", ["driving"], x=4.0)]
    assert why(vols, [need("n1", ["driving"])])[1] == (
        "the volunteer with the skills nearest to their limit, 'bo', is 4.00 km away; "
        "the limit is 3.00 km"
    )


def test_distances_equal_to_two_decimals_get_more():
    vols = [vol("ana", ["driving"], x=3.001)]
    assert why(vols, [need("n1", ["driving"])])[1] == (
        "the nearest volunteer with the skills, 'ana', is 3.001 km away; the limit is 3.000 km"
    )


# --------------------------------------------------------------------------- slot, community


def test_the_slot_nobody_in_reach_is_free_in():
    vols = [
        vol("ana", ["driving"], slots=["sat-pm", "sun-am"]),
        vol("bo", ["driving"], slots=["sat-pm"]),
        vol("cy", ["driving"], x=9.0, slots=["sat-am"]),  # free, but out of reach
    ]
    assert why(vols, [need("n1", ["driving"], slot="sat-am")]) == (
        "no_slot",
        "no volunteer in reach with the skills is free in slot 'sat-am'; "
        "of the 2 volunteers in reach, most are free in sat-pm (2), sun-am (1)",
    )


def test_another_community():
    policy = Policy(geometry="plane", max_distance_km=3.0, same_community=True)
    vols = [vol("ana", ["driving"], community="c2"), vol("bo", ["driving"])]
    assert why(vols, [need("n1", ["driving"], community="c1")], policy) == (
        "other_community",
        "the 2 volunteers in reach, with the skills and free, belong to 'c2' or to no community; "
        "the need's community is 'c1' and the policy pairs only within a community "
        "(same_community)",
    )
    assert why([vol("ana", ["driving"], community="c2")], [need("n1", ["driving"])], policy)[1] == (
        "the only volunteer in reach, with the skills and free, belongs to 'c2'; "
        "the need has none and the policy pairs only within a community (same_community)"
    )


# --------------------------------------------------------------------------- available, taken


def test_capacity_0_and_forbidden():
    vols = [vol("ana", ["driving"], capacity=0), vol("bo", ["driving"])]
    assert why(vols, [need("n1", ["driving"])], forbidden=[("n1", "bo")]) == (
        "unavailable",
        "the 2 volunteers who could serve are unavailable: 'ana' has capacity 0; "
        "'bo' is forbidden for it",
    )


def test_taken_names_who_is_busy_with_what():
    vols = [vol("ana", ["driving"])]
    needs = [need("n1", ["driving"], priority=1), need("n2", ["driving"], priority=5)]
    assert why(vols, needs) == (
        "taken",
        "the only volunteer who could serve is busy: 'ana' serves 'n2' (priority 5)",
    )


def test_taken_lists_three_and_counts_the_rest():
    vols = [vol(f"v{i}", ["driving"]) for i in range(4)]
    needs = [need("n0", ["driving"])] + [
        need(f"n{i}", ["driving"], priority=3) for i in (5, 6, 7, 8)
    ]
    reason, text = why(vols, needs, need="n0")
    assert reason == "taken"
    assert text.startswith("the 4 volunteers who could serve are all busy: 'v0' serves 'n")
    assert text.endswith("; and 1 more") and text.count(" serves ") == 3


def test_not_worth_it():
    policy = Policy(geometry="plane", max_distance_km=3.0, unmatched_cost=0.1)
    assert why([vol("ana", ["driving"], x=2.0)], [need("n1", ["driving"], priority=2)], policy) == (
        "not_worth",
        "serving it would cost more than leaving it unserved: unmatched_cost 0.1 x "
        "priority 2 = 0.2 per unit",
    )


def test_team():
    vols = [vol("ana", ["nursing"])]
    needs = [need("n1", ["nursing"], group="g"), need("n2", ["legal"], group="g")]
    assert why(vols, needs) == (
        "team",
        "its team (group 'g': with 'n2') could not be served all together",
    )


# --------------------------------------------------------------------------- explain()


def _small():
    vols = [vol("ana", {"legal": 1}), vol("bo", ["driving"], x=0.3)]
    needs = [need("n1", {"legal": 3}, category="legal"), need("n2", ["driving"], demand=2)]
    problem = Problem(vols, needs, PLANE)
    return problem, solve(problem)


def test_explain_adds_why_to_result_explain():
    problem, result = _small()
    assert explain(problem, result, "n1") == (
        "Need 'n1': 1 unit unserved: no volunteer has the required skills.\n"
        "  Volunteers left by each filter: skills 0, distance 0, slot 0, community 0, "
        "available 0.\n"
        "  Why: needs legal 3; the best holder within reach has legal 1."
    )
    partly = explain(problem, result, "n2")
    assert partly.startswith(result.explain("n2"))
    assert partly.endswith(
        "Why: the only volunteer who could serve is busy: 'bo' serves 'n2' (priority 1)."
    )


def test_explain_of_a_served_need_is_result_explain():
    vols = [vol("ana", ["driving"])]
    problem = Problem(vols, [need("n1", ["driving"])], PLANE)
    result = solve(problem)
    assert explain(problem, result, "n1") == result.explain("n1")


def test_explain_unknown_need_raises_key_error():
    problem, result = _small()
    with pytest.raises(KeyError, match="no need 'zz' in this result"):
        explain(problem, result, "zz")
    other = Problem(problem.volunteers, problem.needs[1:], PLANE)
    with pytest.raises(KeyError, match="no need 'n1' in the problem"):
        explain(other, result, "n1")


def test_records_that_differ_from_the_result_give_the_reason_only():
    problem, result = _small()
    more = Problem([*problem.volunteers, vol("cy", {"legal": 5}, x=9.0)], problem.needs, PLANE)
    assert explain_unserved(more, result)["n1"] == REASONS["no_skill"]
    assert explain_unserved(problem, solve(Problem([], [], PLANE))) == {}


# --------------------------------------------------------------------------- command line


def test_cli_explain_with_the_problem(tmp_path, capsys):
    problem, result = _small()
    mio.write_json(result, tmp_path / "r.json")
    mio.write_json(problem, tmp_path / "p.json")
    assert main(["explain", str(tmp_path / "r.json"), "n1"]) == 0
    assert "Why:" not in capsys.readouterr().out
    assert (
        main(["explain", str(tmp_path / "r.json"), "n1", "--problem", str(tmp_path / "p.json")])
        == 0
    )
    assert capsys.readouterr().out.strip() == explain(problem, result, "n1")
    argv = ["explain", str(tmp_path / "r.json"), "n1", "--problem", str(tmp_path / "p.json")]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["explanation"] == "needs legal 3; the best holder within reach has legal 1"
    assert data["unmatched"][0]["reason"] == "no_skill"
    assert main([*argv[:2], "zz", *argv[3:]]) == 2
    assert "no need 'zz'" in capsys.readouterr().err


def test_cli_explain_from_csv_files_uses_the_recorded_policy(tmp_path, capsys):
    problem, result = _small()
    mio.write_json(result, tmp_path / "r.json")
    mio.write_volunteers_csv(problem.volunteers, tmp_path / "v.csv", geometry="plane")
    mio.write_needs_csv(problem.needs, tmp_path / "n.csv", geometry="plane")
    files = ["--volunteers", str(tmp_path / "v.csv"), "--needs", str(tmp_path / "n.csv")]
    assert main(["explain", str(tmp_path / "r.json"), "n1", *files]) == 0
    assert capsys.readouterr().out.strip() == explain(problem, result, "n1")


def test_cli_explain_refuses_both_problem_and_files(tmp_path, capsys):
    problem, result = _small()
    mio.write_json(result, tmp_path / "r.json")
    argv = ["explain", str(tmp_path / "r.json"), "n1", "--problem", "p.json", "--needs", "n.csv"]
    assert main(argv) == 2
    assert "either --problem or --volunteers/--needs" in capsys.readouterr().err


# --------------------------------------------------------------------------- the property

# The words that only the sentence of each reason has.
MARKERS = {
    "no_skill": ("no volunteer has", "the best holder", "there are no volunteers"),
    "out_of_range": (" km away; the limit is ",),
    "no_slot": ("is free in slot",),
    "other_community": ("(same_community)",),
    "unavailable": ("has capacity 0", "have capacity 0", "forbidden for it"),
    "taken": (" busy: ",),
    "not_worth": ("unmatched_cost ",),
    "team": ("its team (group",),
}


@settings(max_examples=budget(0.3))
@given(
    problem=st.one_of(tiny_problems(), medium_problems()),
    method=st.sampled_from(["flow", "greedy"]),
)
def test_the_sentence_names_the_filter_of_the_reason(problem: Problem, method: str) -> None:
    result = solve(problem, method)
    sentences = explain_unserved(problem, result)
    assert list(sentences) == [u.need_id for u in result.unmatched]
    for u in result.unmatched:
        text = sentences[u.need_id]
        # the records are those of the result: never the bare reason
        assert text != REASONS[u.reason]
        said = {r for r, words in MARKERS.items() if any(w in text for w in words)}
        assert said == {u.reason}, (u, text)
