"""CSV and JSON files: the documented format, every problem at once, atomic writes."""

import io
import json
import os

import pytest

from matcher import InputError, Need, Policy, Problem, Volunteer, solve
from matcher import io as mio

VOLUNTEERS = """\ufeffid, skills ,lat,lon,capacity,slots,max_distance_km,categories,community,building,unit,name,phone
v1,nursing:3;driving,31.2300,121.4700,2,sat-am;sun-pm,,elderly_care,East,B1,hospital,张伟,555-0101
 v2 ,tutoring:2,31.2310,121.4710,,,1.5,,East,B2,,李娜,555-0102
"""
NEEDS = """id,category,skills,lat,lon,slot,demand,priority,community,building,room
n1,elderly_care,nursing:2,31.2305,121.4705,sat-am,1,5,East,B1,301
n2,tutoring,tutoring,31.2312,121.4712,,2,,East,B2,
"""


def read(v=VOLUNTEERS, n=NEEDS, policy=None):
    return mio.read_problem(io.StringIO(v), io.StringIO(n), policy)


def test_reads_the_documented_format():
    p = read()
    v1, v2 = p.volunteers
    assert v1 == Volunteer(
        "v1",
        {"nursing": 3, "driving": 1},
        (31.23, 121.47),
        capacity=2,
        slots=frozenset({"sat-am", "sun-pm"}),
        categories=frozenset({"elderly_care"}),
        community="East",
        building="B1",
        unit="hospital",
        extra={"name": "张伟", "phone": "555-0101"},
    )
    assert v2.id == "v2" and v2.capacity == 1 and v2.slots is None and v2.max_distance_km == 1.5
    assert v2.unit is None
    n1, n2 = p.needs
    assert n1.slot == "sat-am" and n1.priority == 5 and n1.extra == {"room": "301"}
    assert n2.skills == {"tutoring": 1} and n2.demand == 2 and n2.priority == 1 and n2.slot is None


def test_plane_geometry_reads_x_y_columns():
    v = "id,skills,x,y\nv1,,1.5,2\n"
    n = "id,category,skills,x,y\nn1,repair,,1,2\n"
    p = read(v, n, Policy(geometry="plane"))
    assert p.volunteers[0].location == (1.5, 2.0)
    with pytest.raises(InputError, match="`lat` must be a column"):
        read(v, n)


def test_every_problem_of_every_file_at_once_with_rows():
    v = (
        "id,skills,lat,lon,capacity\n"
        "v1,nursing:x,31.23,121.47,2\n"  # bad level syntax
        "v2,,91,121.47,-1\n"  # latitude and capacity (found by Problem)
        "v3,,31.23,abc,1\n"  # not a number
        "v2,,31.23,121.47,1\n"  # duplicate id
    )
    n = "id,category,skills,lat,lon,priority\nn1,x,,31.23,121.47,7\nn2,x,,31.23\n"
    with pytest.raises(InputError) as info:
        read(v, n)
    got = [(p.record, p.row, p.field) for p in info.value.problems]
    assert got == [
        ("volunteer 'v1'", 2, "skills"),
        ("volunteer 'v3'", 4, "lon"),
        ("need 'n2'", 3, "row"),
        ("volunteer 'v2'", 3, "location"),
        ("volunteer 'v2'", 3, "capacity"),
        ("volunteer 'v2'", 5, "id"),
        ("need 'n1'", 2, "priority"),
    ]
    assert "row 3" in str(info.value)


def test_missing_and_repeated_columns():
    with pytest.raises(InputError) as info:
        read("id,skills,lat,lat\n", "category,skills,lat,lon\n")
    got = [(p.record, p.field) for p in info.value.problems]
    assert "<_io.StringIO>" not in str(info.value)
    assert [f for _, f in got] == ["lat", "lon", "id"]


def test_empty_files_are_an_error_and_header_only_too_unless_allowed():
    with pytest.raises(InputError, match="header"):
        read("", NEEDS)
    with pytest.raises(InputError) as info:
        read("id,skills,lat,lon\n", "id,category,skills,lat,lon\n")
    assert [p.field for p in info.value.problems] == ["rows", "rows"]
    assert "--allow-empty" in str(info.value)
    v, n = io.StringIO("id,skills,lat,lon\n"), io.StringIO("id,category,skills,lat,lon\n")
    p = mio.read_problem(v, n, allow_empty=True)
    assert p.volunteers == () and p.needs == ()
    assert solve(p).matches == ()


def test_extra_values_never_in_errors():
    secret = "SENTINEL-0199"
    v = f"id,skills,lat,lon,capacity,phone\nv1,,31.23,121.47,-3,{secret}\n"
    with pytest.raises(InputError) as info:
        read(v, NEEDS)
    assert secret not in str(info.value)


def test_policy_json_strict(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"max_distance_km": 2, "max_distance_km": 3}')
    with pytest.raises(InputError, match="duplicate key"):
        mio.read_policy(path)
    path.write_text('{"load_penalty": NaN}')
    with pytest.raises(InputError, match="NaN"):
        mio.read_policy(path)
    path.write_text('{"load_penalty": 0.5, "speed": 1, "weights": {"distance": 2, "time": 1}}')
    with pytest.raises(InputError) as info:
        mio.read_policy(path)
    assert [p.field for p in info.value.problems] == ["speed", "weights.time"]
    path.write_text("[1, 2]")
    with pytest.raises(InputError, match="a JSON object"):
        mio.read_policy(path)


def test_problem_json_round_trip(tmp_path):
    p = Problem(
        [
            Volunteer(
                "v1",
                {"nursing": 3},
                (31.23, 121.47),
                capacity=2,
                slots=["sat-am"],
                extra={"name": "王芳"},
            )
        ],
        [Need("n1", "elderly_care", {"nursing": 2}, (31.231, 121.471), slot="sat-am", priority=4)],
        Policy(load_penalty=0.25, unmatched_cost=2.0),
        pinned=[("n1", "v1")],
    )
    path = tmp_path / "problem.json"
    mio.write_json(p, path)
    again = mio.read_problem(problem=path)
    assert again == p
    assert json.loads(path.read_text(encoding="utf-8"))["schema_version"] == 2


def test_csv_round_trip(tmp_path):
    p = read()
    mio.write_volunteers_csv(p.volunteers, tmp_path / "v.csv")
    mio.write_needs_csv(p.needs, tmp_path / "n.csv")
    again = mio.read_problem(tmp_path / "v.csv", tmp_path / "n.csv")
    assert again == p


def test_result_json_and_plan_csv_carry_extras(tmp_path):
    p = read()
    r = solve(p)
    mio.write_json(r, tmp_path / "r.json")
    assert mio.read_result(tmp_path / "r.json") == r
    mio.write_plan_csv(r, p, tmp_path / "plan.csv")
    text = (tmp_path / "plan.csv").read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    # The plan's own columns (issue 13: what a dispatcher needs, the need first), then the
    # user's; the columns tools read (need_id, volunteer_id, status, ...) keep their names.
    assert header[:18] == [
        "need_id",
        "category",
        "priority",
        "slot",
        "need_community",
        "need_building",
        "need_household",
        "volunteer_id",
        "volunteer_community",
        "volunteer_building",
        "volunteer_unit",
        "skills",
        "distance_km",
        "status",
        "reason",
        "explanation",
        "missing",
        "cost",
    ]
    assert "need.room" in header and "volunteer.phone" in header
    assert "张伟" in text or "李娜" in text


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    target.write_text("old")
    r = solve(read())

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        mio.write_json(r, target)
    assert target.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["r.json"]
