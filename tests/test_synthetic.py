"""Tests of ``matcher.synthetic``: reproducibility, realism of the mix, the demo plan."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import matcher
from matcher import InputError, Need, Problem, Volunteer
from matcher.synthetic import (
    NEED_KINDS,
    OCCUPATIONS,
    RARE_KINDS,
    SLOT_GROUPS,
    SLOTS,
    STATUS_PROFILES,
    Community,
    demo,
    generate,
)

SMALL = {"n_communities": 2, "buildings_per_community": 12}
DAYTIME = frozenset(SLOT_GROUPS["wkday-am"] + SLOT_GROUPS["wkday-pm"])
OFF_WORK = frozenset(SLOT_GROUPS["evening"] + SLOT_GROUPS["weekend"])


@cache
def _demo() -> Community:
    return demo()


@cache
def _demo_result() -> matcher.Result:
    return matcher.solve(_demo().problem())


def _record(r: Volunteer | Need) -> dict[str, object]:
    """A canonical, hash-seed-independent view of a record (sets sorted)."""
    out: dict[str, object] = {}
    for name in r.__dataclass_fields__:
        value = getattr(r, name)
        if isinstance(value, frozenset):
            value = sorted(value)
        elif hasattr(value, "items"):
            value = dict(value.items())
        out[name] = value
    return out


def digest(com: Community) -> str:
    blob = json.dumps(
        {
            "volunteers": [_record(v) for v in com.volunteers],
            "needs": [_record(n) for n in com.needs],
            "params": com.params,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


# --------------------------------------------------------------------------- tables


def test_tables_are_consistent() -> None:
    assert math.isclose(sum(o.share for o in OCCUPATIONS), 1.0)
    assert math.isclose(sum(k.share for k in NEED_KINDS), 1.0)
    assert len(SLOTS) == len(set(SLOTS)) == 19
    grouped = [s for g in SLOT_GROUPS.values() for s in g]
    assert sorted(grouped) == sorted(SLOTS)  # the groups partition the slots
    statuses = {o.status for o in OCCUPATIONS}
    assert statuses == set(STATUS_PROFILES)
    for p in STATUS_PROFILES.values():
        assert math.isclose(sum(p.capacity), 1.0)
        assert {g for g, *_ in p.availability} <= set(SLOT_GROUPS)
    for k in NEED_KINDS + RARE_KINDS:
        assert {g for g, _ in k.slots} <= set(SLOT_GROUPS) | {"any"}
        assert 1 <= k.priority[0] <= k.priority[1] <= 5
    for o in OCCUPATIONS:
        for s in o.skills:
            assert 1 <= s.lo <= s.hi <= 5 and 0 < s.p <= 1


def test_module_docstring_documents_every_occupation() -> None:
    import matcher.synthetic as syn

    doc = syn.__doc__ or ""
    for o in OCCUPATIONS:
        skills = "; ".join(
            f"{s.skill} {s.lo}"
            + (f"-{s.hi}" if s.hi != s.lo else "")
            + (f" ({s.p:g})" if s.p < 1 else "")
            for s in o.skills
        )
        row = f"{o.name:<16s}  {o.status:<10s}  {o.share:.2f}"
        assert row in doc, o.name
        if not o.former:  # the retired row wraps over three lines
            assert f"{row}   {skills}" in doc, o.name


def _attainable() -> list[dict[str, int]]:
    """The highest levels one member can hold, per occupation (and former occupation)."""
    out = []
    for o in OCCUPATIONS:
        own = {s.skill: s.hi for s in o.skills}
        formers = [f for f in OCCUPATIONS if f.status == "employed"] if o.former else [None]
        for f in formers:
            best = dict(own)
            for s in f.skills if f else ():
                best[s.skill] = max(best.get(s.skill, 0), max(1, s.hi - 1))
            out.append(best)
    return out


def test_rare_kinds_ask_for_what_no_member_can_have() -> None:
    for k in RARE_KINDS:
        for best in _attainable():
            assert any(best.get(skill, 0) < level for skill, level in k.skills), k.topic


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_gives_equal_community() -> None:
    a, b = generate(rng=11, **SMALL), generate(rng=11, **SMALL)
    assert a == b
    assert digest(a) == digest(b)


def test_different_seed_gives_different_community() -> None:
    a, b = generate(rng=11, **SMALL), generate(rng=12, **SMALL)
    assert a != b
    assert [v.location for v in a.volunteers] != [v.location for v in b.volunteers]


def test_generator_and_int_seed_both_work() -> None:
    from_int = generate(rng=5, **SMALL)
    from_gen = generate(rng=np.random.default_rng(5), **SMALL)
    assert from_int.volunteers == from_gen.volunteers
    assert from_int.needs == from_gen.needs
    assert from_int.params["seed"] == 5 and from_gen.params["seed"] is None
    assert len(generate(rng=None, **SMALL).needs) > 0


def test_generator_is_advanced() -> None:
    gen = np.random.default_rng(5)
    assert generate(rng=gen, **SMALL) != generate(rng=gen, **SMALL)


def test_demo_is_identical_in_processes_with_other_hash_seeds() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from test_synthetic import digest; from matcher.synthetic import demo; "
        "print(digest(demo()))"
    )
    here = str(Path(__file__).resolve().parent)
    expected = digest(_demo())
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code, here], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected, f"PYTHONHASHSEED={hash_seed}"


# --------------------------------------------------------------------------- records


def test_problem_accepts_the_records() -> None:
    com = generate(rng=2, **SMALL)
    p = com.problem()
    assert isinstance(p, Problem)
    assert p.volunteers == com.volunteers and p.needs == com.needs and p.policy == com.policy


def test_ids_are_zero_padded_and_sorted() -> None:
    com = _demo()
    vids = [v.id for v in com.volunteers]
    nids = [n.id for n in com.needs]
    assert vids == sorted(vids) and nids == sorted(nids)
    assert vids[0] == "v0001" and nids[0] == "n0001"
    assert len({len(i) for i in vids}) == 1 and len({len(i) for i in nids}) == 1


def test_ids_stay_sortable_past_the_padding() -> None:
    com = generate(rng=1, n_communities=1, buildings_per_community=120, households_per_building=1,
                   n_needs=10050, n_remote=0, n_rare=0)  # fmt: skip
    nids = [n.id for n in com.needs]
    assert nids == sorted(nids) and nids[0] == "n00001"
    buildings = sorted({n.building for n in com.needs if n.building})
    assert buildings[0] == "c01-b001"


def test_coordinates_are_rounded_to_six_decimals() -> None:
    com = generate(rng=4, **SMALL)
    for r in com.volunteers + com.needs:  # type: ignore[operator]
        for x in r.location:
            assert round(x, 6) == x


def test_extra_fields_are_carried() -> None:
    com = generate(rng=4, **SMALL)
    assert all(v.extra["name"].startswith("Member ") and v.extra["room"] for v in com.volunteers)
    assert all(n.extra["name"].startswith("Resident ") and n.extra["topic"] for n in com.needs)
    result = matcher.solve(com.problem())
    assert result.matches  # ids go through; extra stays on the records


def test_params_are_json_friendly_and_reproduce() -> None:
    com = generate(rng=8, **SMALL)
    params = json.loads(json.dumps(com.params))
    assert params == com.params
    again = generate(
        rng=params["seed"],
        **{k: params[k] for k in ("n_communities", "buildings_per_community", "n_needs")},
    )
    assert again.volunteers == com.volunteers


def test_bad_parameters_are_all_listed() -> None:
    with pytest.raises(InputError) as err:
        generate(n_communities=0, volunteer_share=1.5, center=(95.0, 0.0))
    fields = [p.field for p in err.value.problems]
    assert fields == ["n_communities", "volunteer_share", "center"]


# --------------------------------------------------------------------------- realism


def test_category_mix_is_dominated_by_elderly_care() -> None:
    mix = Counter(n.category for n in _demo().needs)
    top, count = mix.most_common(1)[0]
    assert top == "elderly_care"
    assert 0.3 <= count / len(_demo().needs) <= 0.5
    assert set(mix) == {k.category for k in NEED_KINDS}


def test_employed_members_are_free_on_evenings_and_weekends_only() -> None:
    com = _demo()
    employed = [v for v in com.volunteers if v.unit is not None]
    assert employed
    for v in employed:
        assert v.slots and v.slots <= OFF_WORK, v.id
    retired = [v for v in com.volunteers if v.extra["occupation"] == "retired"]
    assert retired and all(v.unit is None for v in retired)
    assert sum(bool(v.slots & DAYTIME) for v in retired) > 0.9 * len(retired)


def test_volunteers_are_few_and_mostly_retirees_and_students() -> None:
    com = _demo()
    share = len(com.volunteers) / com.params["members"]
    assert 0.01 <= share <= 0.03
    occ = Counter(v.extra["occupation"] for v in com.volunteers)
    assert (occ["retired"] + occ["student"]) / len(com.volunteers) > 0.6


def test_daytime_care_dominates_elderly_care_and_medical() -> None:
    needs = [n for n in _demo().needs if n.category in ("elderly_care", "medical")]
    assert sum(n.slot in DAYTIME for n in needs) > 0.6 * len(needs)
    tutoring = [n for n in _demo().needs if n.category == "tutoring"]
    assert sum(n.slot in OFF_WORK for n in tutoring) > 0.8 * len(tutoring)


# --------------------------------------------------------------------------- the demo plan


def test_demo_size() -> None:
    com = _demo()
    assert 300 <= len(com.volunteers) <= 450
    assert 200 <= len(com.needs) <= 300
    assert com.policy.max_distance_km == 2.5 and com.policy.load_penalty == 0.2


def test_demo_solves_to_a_realistic_plan() -> None:
    result = _demo_result()
    m = result.metrics
    assert result.status is matcher.Status.OPTIMAL
    assert 0.6 <= m.coverage <= 0.9
    assert 0.2 <= m.participation_rate <= 0.8
    reasons = Counter(u.reason for u in result.unmatched)
    assert {"no_skill", "out_of_range", "no_slot", "taken"} <= set(reasons)
    assert len({u.need_id for u in result.unmatched} | {x.need_id for x in result.matches}) == len(
        _demo().needs
    )
