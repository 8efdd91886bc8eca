"""Small problems drawn from fuzzer bytes, for the solve-and-verify target.

One byte in four starts a *hostile* problem, whose fields are now and then
replaced by :data:`~tests.fuzz._draw.NUMBERS` or :data:`~tests.fuzz._draw.ODD_NAMES`
(records must take them without raising; ``Problem`` must refuse them with
``InputError``); the others are well-formed, with locations close enough that most
pairs are in reach, so the solvers, the certificate and ``verify`` see real work.
"""

from __future__ import annotations

from typing import Any

from matcher import Need, Policy, Problem, Volunteer

from ._draw import NUMBERS, ODD_NAMES, Draw

__all__ = ["METHODS", "drawn_problem"]

METHODS = ("auto", "flow", "hungarian", "network_simplex", "greedy", "milp", "stable")
SKILLS = ("nursing", "driving", "tutoring")
SLOTS = ("sat-am", "sat-pm", "sun-am")
CATEGORIES = ("elderly_care", "medical", "tutoring")
PLACES = (None, "A", "B")
#: (lat, lon): Shanghai, the antimeridian (Taveuni) and near the north pole.
CITIES = ((31.2304, 121.4737), (-16.8, 179.999), (89.99, 10.0))
MAX_RECORDS = 5


class _Maker:
    """Draws the fields of one problem; *odd* makes some of them hostile."""

    def __init__(self, d: Draw):
        self.d = d
        self.odd = d.rarely(4)
        self.geometry = d.pick(("geo", "plane"))
        self.city = d.pick(CITIES)

    def maybe(self, value: Any, palette: tuple[Any, ...] = NUMBERS) -> Any:
        """*value*, or in a hostile problem now and then a value from *palette*."""
        if self.odd and self.d.rarely(6):
            return self.d.pick(palette)
        return value

    def name(self, value: Any) -> Any:
        return self.maybe(value, ODD_NAMES)

    def levels(self) -> dict[Any, Any]:
        return {
            self.name(self.d.pick(SKILLS)): self.maybe(self.d.int(1, 5))
            for _ in range(self.d.int(0, 2))
        }

    def location(self) -> Any:
        d = self.d
        if self.geometry == "plane":
            point: tuple[Any, Any] = (d.int(0, 60) / 10, d.int(0, 60) / 10)
        else:  # within about 3 km of the city (longitudes past 180 are the user's to wrap)
            lat, lon = self.city
            point = (lat + (d.byte() - 128) * 2e-4, lon + (d.byte() - 128) * 2e-4)
        if self.odd and d.rarely(6):
            return d.pick(((point[0], d.pick(NUMBERS)), (d.pick(NUMBERS), point[1]), point[:1]))
        return point

    def volunteer(self, i: int) -> Volunteer:
        d = self.d
        slots = d.subset(SLOTS) if d.bool() else None
        return Volunteer(
            self.name(f"v{i}"),
            self.levels() if d.bool() else [self.name(s) for s in d.subset(SKILLS)],
            self.location(),
            capacity=self.maybe(d.int(0, 3)),
            slots=self.maybe(slots, (["sat-am", "sat-am"], [""], "sat-am", [None])),
            max_distance_km=self.maybe(d.pick((None, None, 0.5, 1.0, 2.0, 5.0))),
            categories=d.subset(CATEGORIES),
            community=self.name(d.pick(PLACES)),
            building=d.pick(PLACES),
            unit=self.name(d.pick(PLACES)),
            extra=self.maybe({"phone": "555-0100"} if d.bool() else {}, ({1: 2}, {"": "x"}, "x")),
        )

    def need(self, j: int) -> Need:
        d = self.d
        return Need(
            self.name(f"n{j}"),
            self.name(d.pick(CATEGORIES)),
            self.levels(),
            self.location(),
            slot=self.name(d.pick((None, *SLOTS))),
            demand=self.maybe(d.int(1, 3)),
            priority=self.maybe(d.int(1, 5)),
            community=self.name(d.pick(PLACES)),
            building=d.pick(PLACES),
            household=d.pick((None, "h1", "h2")),
            group=self.name(d.pick((None, None, None, "g1", "g2"))),
        )

    def policy(self) -> Policy:
        d = self.d
        weights = {
            k: self.maybe(d.pick((0.0, 0.1, 1.0, 2.5, 1e6)))
            for k in d.subset(("distance", "overskill", "preference", "outside", "continuity"))
        }
        unmatched = self.maybe(d.pick((None, None, 0.0, 1.0, 10.0, 1e6)))
        floors = {
            self.name(d.pick(("A", "B"))): self.maybe(d.int(0, 2)) for _ in range(d.int(0, 1))
        }
        return Policy(
            max_distance_km=self.maybe(d.pick((3.0, None, 1.0, 0.5, 10.0))),
            same_community=d.rarely(4),
            one_need_per_slot=not d.rarely(4),
            geometry=self.maybe(self.geometry, ("sphere", None, "")),
            weights=weights,
            load_penalty=self.maybe(d.pick((0.0, 0.0, 0.5, 2.0))),
            unmatched_cost=unmatched,
            resolution=self.maybe(d.pick((0.001, 0.001, 1.0, 0.01, 1e-6, 1e-12))),
            participation=unmatched is None and d.rarely(4),
            participation_floors=floors if d.rarely(4) else {},
        )

    def pairs(self, vols: list[Volunteer], needs: list[Need], household: bool) -> list[Any]:
        d = self.d
        out: list[Any] = []
        for _ in range(d.int(0, 2)):
            need = d.pick(needs) if needs else None
            vol = d.pick(vols) if vols else None
            first = need.household if household and need and d.bool() else getattr(need, "id", "n9")
            out.append((self.name(first), self.name(getattr(vol, "id", "v9"))))
        return out


def drawn_problem(data: bytes) -> tuple[Problem, str, Draw]:
    """A problem and a method drawn from *data*, and the draw (for what comes next).

    Raises
    ------
    InputError
        When the drawn records are not a valid problem (as ``Problem`` says).
    """
    d = Draw(data)
    m = _Maker(d)
    method = d.pick(METHODS)
    policy = m.policy()
    vols = [m.volunteer(i) for i in range(d.int(0, MAX_RECORDS))]
    needs = [m.need(j) for j in range(d.int(0, MAX_RECORDS))]
    pinned = m.pairs(vols, needs, household=False) if d.rarely(3) else []
    forbidden = m.pairs(vols, needs, household=False) if d.rarely(3) else []
    history = m.pairs(vols, needs, household=True) if d.rarely(3) else []
    problem = Problem(vols, needs, policy, pinned=pinned, forbidden=forbidden, history=history)
    return problem, method, d
