"""The model: canonical forms, and validation that reports every problem at once."""

import math
import pickle

import pytest

from matcher import InputError, Need, Policy, Problem, Volunteer, Weights


def problems_of(**kw):
    with pytest.raises(InputError) as info:
        Problem(**kw)
    assert isinstance(info.value, ValueError)
    return info.value.problems


def fields_of(problems):
    return [(p.record, p.field) for p in problems]


def test_records_are_canonical_and_immutable():
    v = Volunteer(
        "v1", ["driving", "nursing"], [31, 121], slots=["sat-am", "sat-am"], categories={"medical"}
    )
    assert v.skills == {"driving": 1, "nursing": 1}
    assert v.location == (31.0, 121.0) and type(v.location[0]) is float
    assert v.slots == frozenset({"sat-am"}) and v.categories == frozenset({"medical"})
    with pytest.raises(AttributeError):
        v.capacity = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        v.skills["driving"] = 3  # type: ignore[index]
    assert pickle.loads(pickle.dumps(v)) == v
    assert hash(v) == hash(Volunteer("v1", {"driving": 1, "nursing": 1}, (31.0, 121.0)))


def test_policy_accepts_a_weights_mapping():
    assert Policy(weights={"distance": 2}).weights == Weights(distance=2.0)


def test_every_record_problem_is_reported_at_once():
    vols = [
        Volunteer("v1", {"nursing": 7}, (95.0, 200.0), capacity=-2),
        Volunteer("", [], (0.0, 0.0), max_distance_km=-1),
        Volunteer("v3", [], (math.nan, 0.0), capacity=1.5),  # type: ignore[arg-type]
    ]
    needs = [
        Need("n1", "", {"legal": 0}, (0.0, 0.0), demand=0, priority=9),
        Need("n1", "repair", [], (0.0, 0.0)),
    ]
    got = fields_of(problems_of(volunteers=vols, needs=needs))
    assert got == [
        ("volunteer 'v1'", "skills['nursing']"),
        ("volunteer 'v1'", "location"),  # latitude
        ("volunteer 'v1'", "location"),  # longitude
        ("volunteer 'v1'", "capacity"),
        ("volunteer #1", "id"),
        ("volunteer #1", "max_distance_km"),
        ("volunteer 'v3'", "location"),
        ("volunteer 'v3'", "capacity"),
        ("need 'n1'", "category"),
        ("need 'n1'", "skills['legal']"),
        ("need 'n1'", "demand"),
        ("need 'n1'", "priority"),
        ("need 'n1'", "id"),  # the repeat
    ]


def test_messages_say_what_was_expected_and_what_came():
    (p,) = problems_of(volunteers=[Volunteer("v17", [], (0.0, 0.0), capacity=-2)], needs=[])
    assert str(p) == "volunteer 'v17': `capacity` must be an integer in 0..1000000000; got -2."
    assert p.kind == "volunteer" and p.index == 0


def test_policy_problems_are_reported_with_the_records():
    pol = Policy(
        max_distance_km=-1,
        geometry="flat",
        resolution=0,
        weights=Weights(distance=-1),
        load_penalty=math.inf,
    )  # type: ignore[arg-type]
    got = fields_of(
        problems_of(volunteers=[Volunteer("v", [], (0.0, 0.0), capacity=-1)], needs=[], policy=pol)
    )
    assert got == [
        ("policy", "max_distance_km"),
        ("policy", "geometry"),
        ("policy", "weights.distance"),
        ("policy", "load_penalty"),
        ("policy", "resolution"),
        ("volunteer 'v'", "capacity"),
    ]


def test_plane_geometry_allows_any_finite_coordinates():
    Problem([Volunteer("v", [], (500.0, -900.0))], [], Policy(geometry="plane"))
    with pytest.raises(InputError, match="latitude"):
        Problem([Volunteer("v", [], (500.0, -900.0))], [])


def test_wrong_types_are_named():
    got = problems_of(
        volunteers=[Volunteer("v", "nursing", "here", slots="sat-am")],  # type: ignore[arg-type]
        needs=[{"id": "n"}],  # type: ignore[list-item]
    )
    assert fields_of(got) == [
        ("volunteer 'v'", "skills"),
        ("volunteer 'v'", "location"),
        ("volunteer 'v'", "slots"),
        ("need #0", "need"),
    ]


def test_bools_are_not_numbers():
    got = problems_of(volunteers=[Volunteer("v", {"a": True}, (0.0, 0.0), capacity=True)], needs=[])  # type: ignore[dict-item]
    assert fields_of(got) == [("volunteer 'v'", "skills['a']"), ("volunteer 'v'", "capacity")]


def test_extra_values_never_appear_in_messages():
    secret = "SENTINEL-555-0199"
    with pytest.raises(InputError) as info:
        Problem([Volunteer("v", [], (0.0, 0.0), capacity=-1, extra={"phone": secret, "x": 5})], [])  # type: ignore[dict-item]
    assert secret not in str(info.value)
    assert ("volunteer 'v'", "extra") in fields_of(info.value.problems)


def test_pairs_naming_unknown_ids_or_repeated_or_both():
    vols = [Volunteer("v", [], (0.0, 0.0), capacity=2)]
    needs = [Need("n", "x", [], (0.0, 0.0))]
    got = problems_of(
        volunteers=vols,
        needs=needs,
        pinned=[("n", "v9"), ("m", "v"), ("n", "v"), ("n", "v"), "nv"],
        forbidden=[("n", "v")],
    )
    assert [(p.record, p.field) for p in got] == [
        ("pinned pair ('n', 'v9')", "volunteer_id"),
        ("pinned pair ('m', 'v')", "need_id"),
        ("pinned pair ('n', 'v')", "pair"),  # repeated
        ("pinned pair #4", "pair"),
        ("pinned pair ('n', 'v')", "pair"),  # also forbidden
    ]


@pytest.mark.parametrize(
    ("vol", "need", "policy", "rule"),
    [
        (dict(skills={"nursing": 1}), dict(skills={"nursing": 2}), Policy(), "rule 1 (skills)"),
        (dict(location=(0.0, 0.0)), dict(location=(0.0, 0.1)), Policy(), "rule 2 (distance)"),
        (dict(max_distance_km=0.5), dict(location=(0.0, 0.01)), Policy(), "rule 2 (distance)"),
        (dict(slots=["sat-am"]), dict(slot="sun-am"), Policy(), "rule 3 (slot)"),
        (
            dict(community="A"),
            dict(community="B"),
            Policy(same_community=True),
            "rule 4 (community)",
        ),
        (
            dict(community=None),
            dict(community="B"),
            Policy(same_community=True),
            "rule 4 (community)",
        ),
        (dict(capacity=0), dict(), Policy(), "rule 5 (available)"),
    ],
)
def test_pinned_pair_must_be_feasible(vol, need, policy, rule):
    v = Volunteer(**{"id": "v", "skills": [], "location": (0.0, 0.0), **vol})
    n = Need(**{"id": "n", "category": "x", "location": (0.0, 0.0), **need})
    got = problems_of(volunteers=[v], needs=[n], policy=policy, pinned=[("n", "v")])
    assert rule in str(got[0])
    # capacity 0 also over-fills the capacity; every other case is one problem
    assert len(got) == (2 if vol.get("capacity") == 0 else 1)
    Problem([v], [n], policy)  # the same records without the pin are fine


def test_pinned_pairs_must_fit_capacity_demand_and_slots():
    vols = [Volunteer("v", [], (0.0, 0.0), capacity=1), Volunteer("w", [], (0.0, 0.0), capacity=3)]
    needs = [Need("a", "x", [], (0.0, 0.0), slot="s"), Need("b", "x", [], (0.0, 0.0), slot="s")]
    got = problems_of(
        volunteers=vols, needs=needs, pinned=[("a", "v"), ("b", "v"), ("a", "w"), ("b", "w")]
    )
    text = [str(p) for p in got]
    assert any("capacity=1" in t for t in text)
    assert any("demand=1" in t and "need 'a'" in t for t in text)
    assert any("one pinned need in slot 's'" in t and "volunteer 'w'" in t for t in text)
    # Without the slot rule, only capacity and demand remain.
    got = problems_of(
        volunteers=vols,
        needs=needs,
        policy=Policy(one_need_per_slot=False),
        pinned=[("a", "v"), ("b", "v"), ("a", "w"), ("b", "w")],
    )
    assert not any("slot" in str(p) for p in got)


def test_error_message_lists_at_most_fifty_then_counts():
    vols = [Volunteer(f"v{i}", [], (0.0, 0.0), capacity=-1) for i in range(60)]
    with pytest.raises(InputError) as info:
        Problem(vols, [])
    assert len(info.value.problems) == 60
    assert "60 problems" in str(info.value) and "and 10 more" in str(info.value)


def test_empty_problem_is_valid():
    assert Problem([], []).volunteers == ()


def test_rule_check_of_listed_pairs_finds_a_forbidden_pair_among_repeats():
    # first_broken_rules takes pairs as two parallel lists, where a volunteer
    # (or a need) may come more than once: forbidden pairs go by id.
    from matcher.model import rules

    v = Volunteer("v", [], (0.0, 0.0), capacity=2)
    a, b = Need("a", "x", [], (0.0, 0.0)), Need("b", "x", [], (0.0, 0.0))
    got = rules.first_broken_rules([v, v], [a, b], Policy(), [("a", "v")])
    assert got == [(5, "the pair is forbidden"), (None, "")]
    got = rules.first_broken_rules([v, v], [b, a], Policy(), [("a", "v")])
    assert got == [(None, ""), (5, "the pair is forbidden")]
