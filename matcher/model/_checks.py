"""Validation of records and policies: one function per kind, each returning every problem.

:class:`~matcher.Problem` calls these once, when it is made; nothing else checks
records again (the core assumes canonical, valid input).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from ..errors import InputProblem, short_repr
from .policy import Policy, Weights
from .records import GEOMETRIES, MAX_LEVEL, MAX_PRIORITY, MIN_LEVEL, MIN_PRIORITY, Need, Volunteer

MAX_PLANE_KM = 1e15
"""Largest plane coordinate, in km (distances of the k-d tree and of verify stay finite
and exact far beyond any map; 1e300 would overflow their squares)."""

MAX_COUNT = 10**9
"""Largest capacity or demand (far beyond any real one; keeps every count exact in int64)."""


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_real(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_name(x: Any) -> bool:
    return isinstance(x, str) and x != "" and x.strip() == x


class _Checker:
    """Collects problems about one record."""

    def __init__(self, kind: str, label: str, index: int | None, out: list[InputProblem]):
        self.kind, self.label, self.index, self.out = kind, label, index, out

    def bad(self, fld: str, expected: str, value: Any = None, show: bool = True) -> None:
        """Record a problem; *value* is shown as a short repr unless *show* is False."""
        self.said(fld, expected, short_repr(value) if show else "")

    def said(self, fld: str, expected: str, got: str) -> None:
        """Record a problem whose *got* text is already written."""
        self.out.append(
            InputProblem(self.label, fld, expected, got, kind=self.kind, index=self.index)
        )

    def name(self, fld: str, value: Any, optional: bool = False) -> None:
        if optional and value is None:
            return
        if not _is_name(value):
            self.bad(
                fld,
                "a non-empty string without surrounding spaces" + (" or None" if optional else ""),
                value,
            )

    def integer(self, fld: str, value: Any, lo: int, hi: int | None = None) -> None:
        ok = _is_int(value) and value >= lo and (hi is None or value <= hi)
        if not ok:
            rng = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
            self.bad(fld, f"an integer {rng}", value)

    def real(self, fld: str, value: Any, optional: bool = False, positive: bool = False) -> None:
        if optional and value is None:
            return
        ok = _is_real(value) and math.isfinite(value) and (value > 0 if positive else value >= 0)
        if not ok:
            what = (
                "a finite number "
                + ("> 0" if positive else ">= 0")
                + (" or None" if optional else "")
            )
            self.bad(fld, what, value)

    def levels(self, fld: str, value: Any) -> None:
        if not isinstance(value, Mapping):
            self.bad(fld, "a mapping of skill name to level 1..5, or a list of skill names", value)
            return
        for name, level in value.items():
            if not _is_name(name):
                self.bad(fld, "skill names that are non-empty strings", name)
            elif not (_is_int(level) and MIN_LEVEL <= level <= MAX_LEVEL):
                self.bad(f"{fld}[{name!r}]", f"an integer level in {MIN_LEVEL}..{MAX_LEVEL}", level)

    def names(self, fld: str, value: Any, optional: bool = False) -> None:
        if optional and value is None:
            return
        if not isinstance(value, frozenset) or not all(_is_name(s) for s in value):
            what = "a set of non-empty strings" + (" or None" if optional else "")
            self.bad(fld, what, value)

    def location(self, value: Any, geometry: Any) -> None:
        if not (isinstance(value, tuple) and len(value) == 2 and all(_is_real(x) for x in value)):
            self.bad("location", "a pair of numbers (lat, lon) or (x, y)", value)
            return
        a, b = value
        if not (math.isfinite(a) and math.isfinite(b)):
            self.bad("location", "finite numbers", value)
        elif geometry == "plane":
            if not (abs(a) <= MAX_PLANE_KM and abs(b) <= MAX_PLANE_KM):
                self.bad("location", f"coordinates within +-{MAX_PLANE_KM:g} km (plane)", value)
        elif geometry == "geo":
            if not -90.0 <= a <= 90.0:
                self.bad("location", "a latitude in -90..90 degrees", a)
            if not -180.0 <= b <= 180.0:
                self.bad("location", "a longitude in -180..180 degrees", b)

    def extra(self, value: Any) -> None:
        # Never show the value: extra fields hold personal data.
        if not isinstance(value, Mapping):
            self.bad("extra", "a mapping of field name to string", show=False)
            return
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                self.bad("extra", "string keys and string values", show=False)
                break


def _label(kind: str, record: Any, index: int) -> str:
    rid = getattr(record, "id", None)
    return f"{kind} {rid!r}" if _is_name(rid) else f"{kind} #{index}"


def _check_volunteer(v: Volunteer, i: int, geometry: Any, out: list[InputProblem]) -> None:
    c = _Checker("volunteer", _label("volunteer", v, i), i, out)
    c.name("id", v.id)
    c.levels("skills", v.skills)
    c.location(v.location, geometry)
    c.integer("capacity", v.capacity, 0, MAX_COUNT)
    c.names("slots", v.slots, optional=True)
    c.real("max_distance_km", v.max_distance_km, optional=True, positive=True)
    c.names("categories", v.categories)
    for fld in ("community", "building", "unit"):
        c.name(fld, getattr(v, fld), optional=True)
    c.extra(v.extra)


def _check_need(n: Need, i: int, geometry: Any, out: list[InputProblem]) -> None:
    c = _Checker("need", _label("need", n, i), i, out)
    c.name("id", n.id)
    c.name("category", n.category)
    c.levels("skills", n.skills)
    c.location(n.location, geometry)
    c.name("slot", n.slot, optional=True)
    c.integer("demand", n.demand, 1, MAX_COUNT)
    c.integer("priority", n.priority, MIN_PRIORITY, MAX_PRIORITY)
    for fld in ("community", "building", "household", "group"):
        c.name(fld, getattr(n, fld), optional=True)
    c.extra(n.extra)


def _check_policy(p: Policy, out: list[InputProblem]) -> None:
    c = _Checker("policy", "policy", None, out)
    c.real("max_distance_km", p.max_distance_km, optional=True, positive=True)
    for fld in ("same_community", "one_need_per_slot", "participation"):
        if not isinstance(getattr(p, fld), bool):
            c.bad(fld, "True or False", getattr(p, fld))
    floors = p.participation_floors
    if not isinstance(floors, Mapping):
        c.bad("participation_floors", "a mapping of employer unit to a count", floors)
    else:
        for unit, k in floors.items():
            if not _is_name(unit):
                c.bad("participation_floors", "employer units as non-empty strings", unit)
            if not (_is_int(k) and 0 <= k <= MAX_COUNT):
                c.bad(f"participation_floors.{unit}", "an integer >= 0", k)
    if p.participation is True and p.unmatched_cost is not None:
        c.bad(
            "participation",
            "False when unmatched_cost is set (participation is a level of the "
            "coverage-first objective)",
            True,
        )
    if p.geometry not in GEOMETRIES:
        c.bad("geometry", "'geo' or 'plane'", p.geometry)
    if isinstance(p.weights, Weights):
        for f in fields(Weights):
            c.real(f"weights.{f.name}", getattr(p.weights, f.name))
    elif isinstance(p.weights, Mapping):
        unknown = sorted(set(p.weights) - {f.name for f in fields(Weights)}, key=str)
        c.bad(
            "weights",
            "a Weights with fields " + ", ".join(f.name for f in fields(Weights)),
            unknown,
        )
    else:
        c.bad("weights", "a Weights", p.weights)
    c.real("load_penalty", p.load_penalty)
    c.real("unmatched_cost", p.unmatched_cost, optional=True)
    c.real("resolution", p.resolution, positive=True)
