"""Hostile input, class 6: pandas frames and pairs files (issue 15).

A data frame's typed cell is carried as it is, never through CSV text: what the
records' constructors would refuse (a padded id) is refused, what they would take
(numpy's numbers) is taken, a list item is one name, and nothing escapes but
``InputError``. A pairs file means what the docs say: only a history names
households, JSON ids are not stripped, a huge header cell is an ``InputError``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from strategies import budget

from matcher import InputError, Need, Problem, Volunteer, solve
from matcher import io as mio

pd = pytest.importorskip("pandas")


def frames(**volunteer: list[Any]) -> tuple[Any, Any]:
    """One volunteer and one need; *volunteer* replaces columns of the volunteers frame."""
    vols = {"id": ["v1"], "skills": [["nursing"]], "lat": [31.23], "lon": [121.47]}
    needs = {"id": ["n1"], "category": ["care"], "skills": ["nursing"], "lat": [31.231]}
    needs["lon"] = [121.471]
    vols.update(volunteer)
    return pd.DataFrame(vols), pd.DataFrame(needs)


def refused(vols: Any, needs: Any) -> list[tuple[int | None, str]]:
    with pytest.raises(InputError) as info:
        mio.problem_from_frames(vols, needs)
    return [(p.row, p.field) for p in info.value.problems]


# ------------------------------------------------ frames: padded names are refused


@pytest.mark.parametrize(
    "column, cell, field",
    [
        ("id", " v1", "id"),
        ("id", "v1 ", "id"),
        ("community", " north", "community"),
        ("slots", [" sat-am"], "slots"),
        ("skills", [" nursing"], "skills"),
        ("skills", {"nursing ": 2}, "skills"),
    ],
)
def test_a_padded_name_in_a_frame_is_refused_as_the_constructors_refuse_it(column, cell, field):
    vols, needs = frames(**{column: [cell]})
    assert refused(vols, needs) == [(2, field)]
    fields: dict[str, Any] = {"id": "v1", "skills": [], "location": (31.23, 121.47)}
    with pytest.raises(InputError):  # the same value in Python: the same answer
        Problem([Volunteer(**(fields | {column: cell}))], [])
    vols, needs = frames()
    needs["category"] = [" care"]
    assert refused(vols, needs) == [(2, "category")]


# ------------------------------------------------ frames: a list item is one name


@pytest.mark.parametrize("cell", [["a;b"], {"a;b": 2}, ["nursing:2"], {"x:y": 1}, ["a", "a"]])
def test_a_name_in_a_list_or_dict_cell_stays_one_name_and_is_refused_if_csv_cannot_spell_it(
    cell,
):
    vols, needs = frames(skills=[cell])
    assert refused(vols, needs) == [(2, "skills")]


def test_a_string_cell_is_read_as_a_csv_cell_and_a_clean_list_as_its_names():
    vols, needs = frames(skills=["a;b:2"], slots=[["sat-am", "sun"]], categories=[{"care"}])
    v = mio.problem_from_frames(vols, needs).volunteers[0]
    assert dict(v.skills) == {"a": 1, "b": 2}  # text: the CSV syntax, as in a file
    assert v.slots == frozenset({"sat-am", "sun"}) and v.categories == frozenset({"care"})
    vols, needs = frames(skills=[["a", "b"]])
    assert dict(mio.problem_from_frames(vols, needs).volunteers[0].skills) == {"a": 1, "b": 1}


# ------------------------------------------------ frames: mixed sets are an InputError


@pytest.mark.parametrize(
    "column, cell",
    [("slots", {1, "sat-am"}), ("categories", {2.5, "care"}), ("skills", {None, "nursing"})],
)
def test_a_set_cell_of_mixed_types_is_an_input_error_not_a_type_error(column, cell):
    vols, needs = frames(**{column: [cell]})
    assert refused(vols, needs) == [(2, column)]
    vols, needs = frames(phone=[{1, "a"}])  # an extra column: carried as text, not sorted
    assert mio.problem_from_frames(vols, needs).volunteers[0].extra["phone"] in ("1;a", "a;1")


# ------------------------------------------------ frames: numpy scalars are numbers


def test_numpy_numbers_in_object_columns_are_taken_as_numbers():
    typed = frames(
        lat=pd.Series([np.float64(31.23)], dtype=object),
        lon=pd.Series([np.float32(121.5)], dtype=object),
        capacity=pd.Series([np.int64(2)], dtype=object),
        max_distance_km=pd.Series([np.float64(3.5)], dtype=object),
        id=pd.Series([np.str_("v1")], dtype=object),
    )
    v = mio.problem_from_frames(*typed).volunteers[0]
    assert (v.id, v.location, v.capacity, v.max_distance_km) == ("v1", (31.23, 121.5), 2, 3.5)
    assert all(type(x) is float for x in (*v.location, v.max_distance_km))
    assert type(v.capacity) is int
    plain = mio.problem_from_frames(*frames(lat=[31.23], lon=[121.5], capacity=[2]))
    assert plain.volunteers[0].location == v.location


# ------------------------------------------------ frames: the property


NAMES = st.sampled_from(["nursing", "a;b", " v", "v ", "", "x:y", "护理"])
NUMBERS = st.one_of(
    st.integers(-3, 10**20),
    st.floats(allow_nan=True),
    st.sampled_from([np.float64(2.5), np.int64(3), np.float32(1.5), np.int8(-1), np.nan]),
)
CELLS = st.one_of(
    st.none(),
    NAMES,
    NUMBERS,
    st.booleans(),
    st.lists(st.one_of(NAMES, NUMBERS, st.none()), max_size=3),
    st.frozensets(st.one_of(NAMES, st.integers(0, 3)), max_size=3),
    st.dictionaries(NAMES, st.one_of(st.integers(-1, 7), st.floats(), st.just(np.int64(2)))),
)
COLUMNS = ["id", "skills", "lat", "capacity", "slots", "categories", "community", "phone"]


def _plain(cell: Any) -> Any:
    if isinstance(cell, np.generic):
        return _plain(cell.item())
    if (isinstance(cell, float) and cell != cell) or cell == "":  # empty: the default
        return None
    if isinstance(cell, dict):
        return {k: _plain(v) for k, v in cell.items()}
    return cell


@settings(max_examples=budget(0.3), deadline=None)
@given(column=st.sampled_from(COLUMNS), cell=CELLS)
@example(column="id", cell=" v1")
@example(column="skills", cell=["a;b"])
@example(column="slots", cell=frozenset({1, "a"}))
@example(column="lat", cell=np.float64(31.2))
@example(column="capacity", cell=np.int64(3))
def test_a_typed_cell_is_refused_or_carried_as_the_constructors_take_it(column, cell):
    vols, needs = frames(**{column: pd.Series([cell], dtype=object)})
    try:
        p = mio.problem_from_frames(vols, needs)
    except InputError as exc:
        assert exc.problems and all(q.row == 2 for q in exc.problems if q.kind == "volunteer")
        return
    v, plain = p.volunteers[0], _plain(cell)
    if column not in ("lat", "capacity") and isinstance(plain, (int, float)):
        text = str(plain) if isinstance(plain, int) else repr(plain)  # a number's text
        plain = [text] if column in ("skills", "slots", "categories") else text
    if column == "phone":
        assert isinstance(v.extra["phone"], str)
    elif column in ("id", "community"):  # text as it is
        assert getattr(v, column) == plain
    elif plain is not None and not isinstance(plain, str):  # as Volunteer takes it
        key = "location" if column == "lat" else column
        value = (plain, 121.47) if column == "lat" else plain
        made = Volunteer(**({"id": "v1", "skills": ["nursing"], "location": (31.23, 121.47)}
                            | {key: value}))  # fmt: skip
        assert getattr(v, key) == getattr(made, key)
    verify_ok = solve(p)
    assert verify_ok.status.value == "optimal"


# ------------------------------------------------ pairs: only a history names households


def test_a_household_column_in_a_pinned_or_forbidden_file_is_ignored():
    text = "need_id,household,volunteer_id\nn1,h9,v1\n"
    for kind in ("pinned", "forbidden"):
        assert mio.read_pairs(io.StringIO(text), kind) == (("n1", "v1"),)
    assert mio.read_pairs(io.StringIO(text), "history") == (("h9", "v1"),)


def test_a_plan_csv_still_reads_back_as_pairs(tmp_path: Path):
    p = Problem(
        [Volunteer("v1", ["x"], (0.0, 0.0))],
        [Need("n1", "c", ["x"], (0.0, 0.001), household="h1"), Need("n2", "c", ["y"], (0, 0))],
    )
    mio.write_plan_csv(solve(p), p, tmp_path / "plan.csv")
    header = (tmp_path / "plan.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "need_household" in header and "household" not in header
    for kind in ("pinned", "forbidden", "history"):
        assert mio.read_pairs(tmp_path / "plan.csv", kind) == (("n1", "v1"),)


# ------------------------------------------------ pairs: JSON ids are not stripped


@pytest.mark.parametrize("pair", [[" n1", "v1"], ["n1", "v1 "], ["n1\t", "v1"], ["n1", "\u3000v1"]])
def test_padded_ids_in_json_pairs_are_refused_not_stripped(tmp_path: Path, pair):
    f = tmp_path / "pinned.json"
    f.write_text(json.dumps([["n2", "v2"], pair]), encoding="utf-8")
    with pytest.raises(InputError) as info:
        mio.read_pairs(f)
    assert [(p.record, p.field) for p in info.value.problems] == [("pinned pair #1", "pair")]
    assert "surrounding spaces" in info.value.problems[0].expected


# ------------------------------------------------ pairs: a huge header cell


@pytest.mark.parametrize("kind", ["history", "pinned", "forbidden"])
def test_a_header_cell_over_the_csv_field_limit_is_an_input_error_naming_file_and_line(
    tmp_path: Path, kind
):
    f = tmp_path / "pairs.csv"
    f.write_text("need_id,volunteer_id," + "x" * (129 * 1024) + "\nn1,v1,a\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        mio.read_pairs(f, kind)
    (p,) = info.value.problems
    assert (p.record, p.row, p.field) == ("pairs.csv", 1, "header")
    assert "field limit" in p.got
