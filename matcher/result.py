"""Results: the plan with ids put back, reasons, metrics and explanations.

Solvers return edge indices; this module turns them into a :class:`Result`
that names volunteers and needs by id, says why every unserved unit of need
is unserved, and measures the plan (:class:`Metrics`). It is the only place
where ids come back.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._frozen import FrozenMap
from .errors import InputError, InputProblem, short_repr
from .graph import COST_PARTS, Diagnostics, Graph, _is_sorted
from .model import Problem
from .solvers import Potentials

if TYPE_CHECKING:  # pragma: no cover
    from .verify import Violation

__all__ = [
    "FILTERS",
    "REASONS",
    "Certificate",
    "Churn",
    "SCHEMA_VERSION",
    "Stability",
    "GraphSolution",
    "Match",
    "Metrics",
    "Objective",
    "Result",
    "Status",
    "Unmatched",
]

SCHEMA_VERSION = 3
"""Version of the dict / JSON layout of :meth:`Result.to_dict` (2: with ``certificate``;
3: with ``churn``)."""

_READABLE_VERSIONS = (1, 2, 3)

FILTERS = ("skills", "distance", "slot", "community", "available")
"""The filters behind ``Unmatched.candidates``, in order (the feasibility rules)."""

REASONS = {
    "no_skill": "no volunteer has the required skills",
    "out_of_range": "no volunteer with the skills lives within travel range",
    "no_slot": "no volunteer within range with the skills is free in the slot",
    "other_community": "the volunteers who could serve belong to another community",
    "unavailable": "the only possible volunteers have capacity 0 or are forbidden for this need",
    "taken": "the possible volunteers are all serving needs that count more",
    "not_worth": "serving it would cost more than leaving it unserved (unmatched_cost)",
    "team": "its team (Need.group) could not be served all together",
}
"""Why a unit of need is unserved: reason code -> meaning, in the order tested."""

UNKNOWN = "(unknown)"
"""Key used in per-community / per-unit metrics for records without one."""


class Status(enum.Enum):
    """How good the plan is.

    Attributes
    ----------
    OPTIMAL
        Proven optimal for the objective (exact methods).
    FEASIBLE
        Satisfies every constraint, optimality not proven (``greedy``).

    Examples
    --------
    >>> from matcher import Need, Problem, Status, solve
    >>> p = Problem([], [Need("n", "repair", [], (0.0, 0.0))])
    >>> solve(p).status is Status.OPTIMAL, solve(p, "greedy").status.value
    (True, 'feasible')
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"


@dataclass(frozen=True)
class Match:
    """One volunteer serving one need.

    Attributes
    ----------
    need_id, volunteer_id : str
    cost : float
        The edge's cost after rounding to the policy's resolution (load penalty not included).
    distance_km : float
    parts : mapping of str to float
        Each weighted cost term before rounding: distance, overskill, preference, outside.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v", ["driving"], (0.0, 0.0))],
    ...             [Need("n", "medical", ["driving"], (0.3, 0.4))], Policy(geometry="plane"))
    >>> m = solve(p).matches[0]
    >>> m.need_id, m.volunteer_id, m.cost, m.distance_km, dict(m.parts)["distance"]
    ('n', 'v', 0.5, 0.5, 0.5)
    """

    need_id: str
    volunteer_id: str
    cost: float
    distance_km: float
    parts: Mapping[str, float] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        if type(self.parts) is not FrozenMap:
            object.__setattr__(self, "parts", FrozenMap(self.parts))


@dataclass(frozen=True)
class Unmatched:
    """Units of a need left unserved, and why.

    Attributes
    ----------
    need_id : str
    missing : int
        Units of demand not served.
    reason : str
        One of :data:`REASONS`: ``no_skill``, ``out_of_range``, ``no_slot``,
        ``other_community``, ``unavailable``, ``taken``, ``not_worth``.
    candidates : tuple of int
        How many volunteers each filter of :data:`FILTERS` left, in order
        (skills; of those, within range; free in the slot; in the community;
        available). The reason names the first filter that left none.

    Examples
    --------
    >>> from matcher import Need, Problem, solve
    >>> u = solve(Problem([], [Need("n", "legal", ["legal"], (31.2, 121.4), demand=2)])).unmatched[0]
    >>> u.need_id, u.missing, u.reason, u.candidates
    ('n', 2, 'no_skill', (0, 0, 0, 0, 0))
    """

    need_id: str
    missing: int
    reason: str
    candidates: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "candidates", tuple(int(c) for c in self.candidates))


@dataclass(frozen=True)
class Objective:
    """The value of the plan.

    Attributes
    ----------
    served_priority : int
        Sum over needs of priority x units served (maximised first by default).
    int_cost : int
        Total integer cost: edge costs plus load penalties, in units of ``resolution``.
    cost : float
        ``int_cost * resolution``.
    int_penalty : int
        Integer penalty of unserved units when ``unmatched_cost`` is set, else 0.
    penalty : float
        ``int_penalty * resolution``.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v", [], (0.0, 0.0))],
    ...             [Need("n", "repair", [], (2.0, 0.0), priority=3)], Policy(geometry="plane"))
    >>> solve(p).objective
    Objective(served_priority=3, int_cost=2000, cost=2.0, int_penalty=0, penalty=0.0)
    """

    served_priority: int
    int_cost: int
    cost: float
    int_penalty: int = 0
    penalty: float = 0.0


@dataclass(frozen=True)
class Certificate:
    """A proof that a plan is optimal: node potentials of its flow network.

    The network (the *certificate network*, defined in
    :mod:`matcher.solvers._duals` and rebuilt from scratch by
    :mod:`matcher.verify`) has a source, one node per volunteer, one per
    need and, with ``Policy.one_need_per_slot``, one per (volunteer, slot)
    with a candidate need in that slot. The plan is optimal exactly when every
    arc that could still carry flow has a non-negative reduced cost
    ``cost + potential[tail] - potential[head]``; these potentials make it so.
    The source's potential is 0.

    Attributes
    ----------
    big_m : int or None
        Cost of leaving one unit of priority unserved, in resolution units,
        under the coverage-first objective (larger than any difference in cost
        between two plans, which the verifier re-checks); None when the
        policy sets ``unmatched_cost``.
    volunteers, needs : mapping of str to int
        Potential of each volunteer and each need, by id.
    slots : mapping of str to mapping of str to int
        Potential of each (volunteer, slot) node: volunteer id -> slot -> potential.
    engage : int or None
        With ``Policy.participation``: what engaging one more volunteer is worth
        in the certificate network (taken off each volunteer's first need),
        larger than any difference in cost; None otherwise.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v", ["driving"], (0.0, 0.0))],
    ...             [Need("n", "medical", ["driving"], (1.0, 0.0))], Policy(geometry="plane"))
    >>> r = solve(p)
    >>> r.certificate.big_m, dict(r.certificate.needs), r.verify(p)
    (2048, {'n': 1000}, [])
    """

    big_m: int | None
    volunteers: Mapping[str, int] = field(default_factory=FrozenMap)
    needs: Mapping[str, int] = field(default_factory=FrozenMap)
    slots: Mapping[str, Mapping[str, int]] = field(default_factory=FrozenMap)
    engage: int | None = None

    def __post_init__(self) -> None:
        if type(self.volunteers) is not FrozenMap:
            object.__setattr__(self, "volunteers", FrozenMap(self.volunteers))
        if type(self.needs) is not FrozenMap:
            object.__setattr__(self, "needs", FrozenMap(self.needs))
        slots = self.slots
        if type(slots) is not FrozenMap or any(type(v) is not FrozenMap for v in slots.values()):
            object.__setattr__(
                self, "slots", FrozenMap({k: FrozenMap(v) for k, v in slots.items()})
            )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready)."""
        return {
            "big_m": self.big_m,
            "volunteers": dict(self.volunteers),
            "needs": dict(self.needs),
            "slots": {k: dict(v) for k, v in self.slots.items()},
            "engage": self.engage,
        }

    @classmethod
    def from_potentials(
        cls,
        pot: Potentials,
        graph: Graph,
        *,
        reuse: tuple[Mapping[str, Mapping[str, int]], NDArray[np.bool_]] | None = None,
    ) -> Certificate:
        """Name the nodes of solver potentials by id.

        *reuse*: slot maps of an earlier certificate by volunteer id, and for
        each volunteer of *graph* whether its (volunteer, slot) potentials are
        exactly those of its earlier map (then that map object is kept, not
        made again: a re-plan's, where few changed).
        """
        sv, st = pot.slot_volunteer, pot.slot
        vid, names = graph.volunteer_ids, graph.slot_names
        ids_sorted = _ascending(vid)
        slots: Mapping[str, Mapping[str, int]]
        if ids_sorted and _ascending(names) and _is_sorted(sv * (len(names) + 1) + st):
            # a built graph's nodes: grouped by volunteer, in id then slot order
            starts = np.r_[0, np.flatnonzero(sv[1:] != sv[:-1]) + 1] if len(sv) else sv
            ends = np.r_[starts[1:], len(sv)].tolist() if len(sv) else []
            ids = [vid[v] for v in sv[starts].tolist()]
            stl, sxl = st.tolist(), pot.slot_node.tolist()
            table: dict[str, Any] = {}
            kept = [False] * len(ids) if reuse is None else reuse[1][sv[starts]].tolist()
            for g, (key, a, b) in enumerate(zip(ids, starts.tolist(), ends, strict=True)):
                table[key] = (
                    reuse[0][key]
                    if kept[g] and reuse is not None
                    else FrozenMap._of_sorted(
                        {names[t]: x for t, x in zip(stl[a:b], sxl[a:b], strict=True)}
                    )
                )
            slots = FrozenMap._of_sorted(table)
        else:
            loose: dict[str, dict[str, int]] = {}
            for v, t, x in zip(sv.tolist(), st.tolist(), pot.slot_node.tolist(), strict=True):
                loose.setdefault(vid[v], {})[names[t]] = x
            slots = loose  # made FrozenMaps (sorted) by __post_init__

        def by_id(ids: tuple[str, ...], values: NDArray[np.int64], ok: bool) -> FrozenMap[int]:
            table = dict(zip(ids, values.tolist(), strict=True))
            # a graph's ids come sorted (build_graph); Graph.from_arrays' need not
            return FrozenMap._of_sorted(table) if ok else FrozenMap(table)

        return cls(
            big_m=pot.big_m,
            volunteers=by_id(vid, pot.volunteer, ids_sorted),
            needs=by_id(graph.need_ids, pot.need, _ascending(graph.need_ids)),
            slots=slots,
            engage=pot.engage or None,
        )


@dataclass(frozen=True)
class Churn:
    """How a re-plan differs from the plan it replaces (``solve(..., previous=)``).

    Pairs are ``(need_id, volunteer_id)``. Every previous pair is *kept*
    (still in the plan), *moved* (its need is now served by another
    volunteer instead) or *dropped*; every pair of the new plan is *kept*,
    *moved* (the replacement) or *added*. Per need, ``moved`` is the smaller
    of its dropped and its new pairs. So ``kept + moved + dropped`` is the
    number of previous pairs and ``kept + moved + added`` that of matches.

    Attributes
    ----------
    cost : float
        ``churn_cost``: what each previous pair that is still possible costs
        when it is not kept (0.0: churn only reported, not weighed).
    int_cost : int
        The same in units of ``Policy.resolution``, as the solver used it.
    previous : tuple of (str, str)
        The previous plan's pairs, sorted.
    kept, moved, added, dropped : int

    Examples
    --------
    >>> c = Churn.between([("n1", "a"), ("n2", "b")], [("n1", "a"), ("n2", "c"), ("n3", "b")])
    >>> c.kept, c.moved, c.added, c.dropped
    (1, 1, 1, 0)
    """

    cost: float
    int_cost: int
    previous: tuple[tuple[str, str], ...]
    kept: int
    moved: int
    added: int
    dropped: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "previous", tuple(tuple(p) for p in self.previous))

    @classmethod
    def between(
        cls,
        previous: Iterable[tuple[str, str]],
        current: Iterable[tuple[str, str]],
        cost: float = 0.0,
        int_cost: int = 0,
    ) -> Churn:
        """Count the churn from the pairs *previous* to the pairs *current*."""
        before = sorted({(str(n), str(v)) for n, v in previous})
        after = {(str(n), str(v)) for n, v in current}
        old = set(before)
        kept = len(old & after)
        gone: Counter[str] = Counter(n for n, _ in old - after)
        new: Counter[str] = Counter(n for n, _ in after - old)
        moved = sum(min(k, new[n]) for n, k in gone.items())
        return cls(
            cost=float(cost),
            int_cost=int(int_cost),
            previous=tuple(before),
            kept=kept,
            moved=moved,
            added=len(after - old) - moved,
            dropped=len(old - after) - moved,
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready)."""
        return {
            "cost": self.cost,
            "int_cost": self.int_cost,
            "previous": [list(p) for p in self.previous],
            "kept": self.kept,
            "moved": self.moved,
            "added": self.added,
            "dropped": self.dropped,
        }


@dataclass(frozen=True)
class Stability:
    """Whether a plan is stable, for method ``"stable"`` (deferred acceptance).

    A pair (volunteer, need) not in the plan *blocks* it when both would
    rather be matched to each other: the volunteer ranks the need above one
    it serves (or has room and a free slot), and the need ranks the
    volunteer above one who serves it (or still wants one). Volunteers rank
    needs by urgency, then their preferred categories, then distance; needs
    rank volunteers by the pair's cost (see :mod:`matcher.solvers.stable`).

    Attributes
    ----------
    stable : bool
        No pair blocks the plan.
    blocking : tuple of (str, str)
        The blocking ``(need_id, volunteer_id)`` pairs, sorted (pinned pairs
        are outside the market and may cause some).

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v", ["x"], (0.0, 0.0))],
    ...             [Need("n", "c", ["x"], (1.0, 0.0))], Policy(geometry="plane"))
    >>> solve(p, "stable").stability
    Stability(stable=True, blocking=())
    """

    stable: bool
    blocking: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocking", tuple(tuple(p) for p in self.blocking))

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready)."""
        return {"stable": self.stable, "blocking": [list(p) for p in self.blocking]}


@dataclass(frozen=True)
class Metrics:
    """Measures of a plan, as plain Python numbers.

    Attributes
    ----------
    units_demanded, units_served : int
    coverage : float
        Units served / units demanded (1.0 when nothing is demanded).
    priority_coverage : float
        Priority-weighted coverage (1.0 when nothing is demanded).
    total_cost : float
        Total cost including load penalties (``Objective.cost``).
    mean_cost : float
        Mean edge cost per match (0.0 without matches).
    mean_distance_km : float
        Mean distance per match (0.0 without matches).
    volunteers : int
        Volunteers in the problem.
    volunteers_used : int
        Volunteers with at least one need.
    participation_rate : float
        ``volunteers_used / volunteers`` (0.0 without volunteers).
    mean_load, max_load : float, int
        Needs per volunteer, over all volunteers.
    load_gini : float
        Gini coefficient of the loads over all volunteers (0 = evenly spread).
    coverage_by_category, coverage_by_community : dict of str to float
    participation_by_unit : dict of str to float
        Share of each employer unit's volunteers who serve.

    Examples
    --------
    >>> from matcher import solve
    >>> from matcher.synthetic import demo
    >>> m = solve(demo().problem()).metrics
    >>> m.units_served, m.units_demanded, round(m.coverage, 3), m.volunteers_used
    (231, 278, 0.831, 187)
    """

    units_demanded: int
    units_served: int
    coverage: float
    priority_coverage: float
    total_cost: float
    mean_cost: float
    mean_distance_km: float
    volunteers: int
    volunteers_used: int
    participation_rate: float
    mean_load: float
    max_load: int
    load_gini: float
    coverage_by_category: dict[str, float] = field(default_factory=dict)
    coverage_by_community: dict[str, float] = field(default_factory=dict)
    participation_by_unit: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The metrics as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class Result:
    """A plan: who serves which need, what is left unserved and why, and measures.

    Attributes
    ----------
    status : Status
    method : str
        The method that ran (for ``"auto"``, the one it chose).
    matches : tuple of Match
        Sorted by ``(need_id, volunteer_id)``.
    unmatched : tuple of Unmatched
        Sorted by ``need_id``. A need with demand 2 served once appears in
        both lists. Every need of the problem is in at least one of them.
    objective : Objective
    metrics : Metrics
    timings : dict of str to float
        Seconds per stage: ``build_graph``, ``solve``, ``assemble``, ``total``;
        and, within ``solve``, ``backend`` (the solver backends, summed over
        independent parts) and ``certify`` (computing the certificate).
    certificate : Certificate or None
        The proof of optimality of an ``OPTIMAL`` plan (None otherwise, or when
        solved with ``certify=False``); :meth:`verify` checks it.
    churn : Churn or None
        For a re-plan (``solve(..., previous=)``): what changed from the
        previous plan, and the churn cost the plan was optimised with.
    stability : Stability or None
        For method ``"stable"``: whether the plan is stable, and the pairs
        that block it.
    gap : float or None
        For method ``"milp"`` (teams): the relative optimality gap HiGHS
        proved, 0.0 when optimal; a plan stopped early by ``time_limit`` is
        ``FEASIBLE`` with its gap. None for the other methods.

    Examples
    --------
    >>> from matcher import Need, Problem, Volunteer, solve
    >>> vs = [Volunteer("v1", {"driving": 1}, (31.230, 121.470))]
    >>> ns = [Need("n1", "medical", {"driving": 1}, (31.235, 121.472), priority=4),
    ...       Need("n2", "legal", {"legal": 2}, (31.231, 121.471))]
    >>> r = solve(Problem(vs, ns))
    >>> [(m.need_id, m.volunteer_id) for m in r.matches]
    [('n1', 'v1')]
    >>> [(u.need_id, u.reason) for u in r.unmatched]
    [('n2', 'no_skill')]
    >>> r.objective.served_priority
    4
    """

    status: Status
    method: str
    matches: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]
    objective: Objective
    metrics: Metrics
    timings: Mapping[str, float] = field(default_factory=dict)
    certificate: Certificate | None = None
    churn: Churn | None = None
    stability: Stability | None = None
    gap: float | None = None

    # ------------------------------------------------------------ explain
    def explain(self, need_id: str) -> str:
        """Explain, in plain words, what the plan does for one need.

        Parameters
        ----------
        need_id : str

        Returns
        -------
        str

        Raises
        ------
        KeyError
            If the need is not in this result.

        Examples
        --------
        >>> from matcher import Need, Problem, Volunteer, solve
        >>> r = solve(Problem([], [Need("n1", "repair", ["repair"], (0.0, 0.0))]))
        >>> print(r.explain("n1"))
        Need 'n1': 1 unit unserved: no volunteer has the required skills.
          Volunteers left by each filter: skills 0, distance 0, slot 0, community 0, available 0.
        """
        served = [m for m in self.matches if m.need_id == need_id]
        missing = [u for u in self.unmatched if u.need_id == need_id]
        if not served and not missing:
            raise KeyError(f"no need {need_id!r} in this result")
        lines = []
        if served:
            who = ", ".join(repr(m.volunteer_id) for m in served)
            lines.append(f"Need {need_id!r}: served by {who}.")
            for m in served:
                terms = " + ".join(f"{k} {v:.3g}" for k, v in m.parts.items() if v)
                lines.append(
                    f"  {m.volunteer_id!r}: {m.distance_km:.2f} km away, cost {m.cost:.3f}"
                    + (f" ({terms})" if terms else "")
                )
        for u in missing:
            unit = "unit" if u.missing == 1 else "units"
            head = f"Need {need_id!r}: " if not served else "  Still "
            lines.append(f"{head}{u.missing} {unit} unserved: {REASONS.get(u.reason, u.reason)}.")
            counts = ", ".join(f"{f} {c}" for f, c in zip(FILTERS, u.candidates, strict=False))
            lines.append(f"  Volunteers left by each filter: {counts}.")
        return "\n".join(lines)

    # -------------------------------------------------------- verification
    def verify(self, problem: Problem) -> list[Violation]:
        """Re-check this result against *problem*, independently of the solvers.

        See :func:`matcher.verify.verify`: feasibility of every pair, every
        constraint, every need accounted for, the objective, and (for an
        ``OPTIMAL`` result) the certificate. Returns the violations found;
        an empty list means the plan is valid and proven optimal.
        """
        from .verify import verify

        return verify(problem, self)

    # ---------------------------------------------------------------- pandas
    def to_frame(self, problem: Problem | None = None, which: str = "plan") -> Any:
        """The plan as a tidy pandas DataFrame.

        See :func:`matcher.frames.result_to_frame` (pandas is an optional
        extra, imported only then): ``which="plan"`` (matches and unserved
        needs, with the records' extra columns when *problem* is given),
        ``"matches"`` or ``"unmatched"``.
        """
        from .frames import result_to_frame

        return result_to_frame(self, problem, which)

    # -------------------------------------------------------- serialisation
    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        """A plain dict (JSON-ready) with every field; :meth:`from_dict` inverts it.

        With ``timings=False`` the timings (which differ from run to run) are
        left out (an empty dict): the same problem then gives the same dict,
        byte for byte once written as JSON, in any process.

        Examples
        --------
        >>> from matcher import Need, Problem, solve
        >>> r = solve(Problem([], [Need("n1", "repair", [], (0.0, 0.0))]))
        >>> sorted(r.to_dict())
        ['certificate', 'churn', 'gap', 'matches', 'method', 'metrics', 'objective', 'schema_version', 'stability', 'status', 'timings', 'unmatched']
        >>> Result.from_dict(r.to_dict()) == r
        True
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "status": self.status.value,
            "method": self.method,
            "objective": asdict(self.objective),
            "matches": [
                {
                    "need_id": m.need_id,
                    "volunteer_id": m.volunteer_id,
                    "cost": m.cost,
                    "distance_km": m.distance_km,
                    "parts": dict(m.parts),
                }
                for m in self.matches
            ],
            "unmatched": [
                {
                    "need_id": u.need_id,
                    "missing": u.missing,
                    "reason": u.reason,
                    "candidates": list(u.candidates),
                }
                for u in self.unmatched
            ],
            "metrics": self.metrics.to_dict(),
            "timings": dict(self.timings) if timings else {},
            "certificate": None if self.certificate is None else self.certificate.to_dict(),
            "churn": None if self.churn is None else self.churn.to_dict(),
            "stability": None if self.stability is None else self.stability.to_dict(),
            "gap": self.gap,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a result from :meth:`to_dict` output.

        Raises
        ------
        InputError
            If a field is missing or malformed, or the schema version is unknown.
        """
        try:
            if data.get("schema_version") not in _READABLE_VERSIONS:
                raise InputError(
                    [
                        InputProblem(
                            "result",
                            "schema_version",
                            ", ".join(map(str, _READABLE_VERSIONS[:-1]))
                            + f" or {_READABLE_VERSIONS[-1]}",
                            short_repr(data.get("schema_version")),
                            kind="file",
                        )
                    ]
                )
            return cls(
                status=Status(data["status"]),
                method=str(data["method"]),
                matches=tuple(Match(**m) for m in data["matches"]),
                unmatched=tuple(
                    Unmatched(**{**u, "candidates": tuple(u["candidates"])})
                    for u in data["unmatched"]
                ),
                objective=Objective(**data["objective"]),
                metrics=Metrics(**data["metrics"]),
                timings=dict(data.get("timings", {})),
                certificate=(
                    None if data.get("certificate") is None else Certificate(**data["certificate"])
                ),
                churn=None if data.get("churn") is None else Churn(**data["churn"]),
                stability=(
                    None if data.get("stability") is None else Stability(**data["stability"])
                ),
                gap=None if data.get("gap") is None else float(data["gap"]),
            )
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                [
                    InputProblem(
                        "result",
                        "data",
                        "a dict made by Result.to_dict()",
                        type(exc).__name__ + f": {exc}",
                        kind="file",
                    )
                ]
            ) from None

    def to_json(self, *, indent: int | None = 2, timings: bool = True) -> str:
        """The result as JSON text (lossless; floats round-trip exactly).

        Keys come in a fixed order and lists in the order of the result, so
        with ``timings=False`` the same problem gives byte-identical text in
        every run and process (whatever ``PYTHONHASHSEED`` or record order).
        """
        return json.dumps(
            self.to_dict(timings=timings), indent=indent, ensure_ascii=False, allow_nan=False
        )

    @classmethod
    def from_json(cls, text: str) -> Result:
        """Rebuild a result from :meth:`to_json` text.

        Raises
        ------
        InputError
            If the text is not JSON, has ``NaN`` / ``Infinity`` literals or
            repeated keys, or is not a result.
        """

        def refuse(token: str) -> Any:
            raise ValueError(f"{token} is not a number JSON allows")

        def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            keys = [k for k, _ in pairs]
            if len(set(keys)) != len(keys):
                raise ValueError(
                    f"repeated key {sorted(k for k in keys if keys.count(k) > 1)[0]!r}"
                )
            return dict(pairs)

        try:
            data = json.loads(text, parse_constant=refuse, object_pairs_hook=no_repeats)
        except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
            raise InputError(
                [
                    InputProblem(
                        "result",
                        "json",
                        "a result written by Result.to_json()",
                        str(exc),
                        kind="file",
                    )
                ]
            ) from None
        return cls.from_dict(data)

    def __eq__(self, other: object) -> bool:
        # Timings differ from run to run; they are not part of the plan.
        if not isinstance(other, Result):
            return NotImplemented
        return all(
            getattr(self, f.name) == getattr(other, f.name)
            for f in fields(self)
            if f.name != "timings"
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class GraphSolution:
    """The plan of a :class:`~matcher.Graph`, as index arrays.

    Attributes
    ----------
    method : str
    status : Status
    edge : int64 array
        Indices of the chosen edges in the graph, sorted (so by need, then volunteer).
    volunteer, need : int64 arrays
        Endpoints of the chosen edges.
    served : int64 array, shape (n_needs,)
        Units served per need.
    served_priority, int_cost, int_penalty : int
        The objective, recomputed from the plan (see :class:`Objective`).
    cost : float
        ``int_cost * resolution``.
    parts : int
        Independent parts (connected components packed into tasks) solved.
    backend_seconds : float
        Time spent solving the parts, summed over parts (with an executor,
        more than the wall time when they run side by side).
    certificate : Potentials or None
        Node potentials proving the plan optimal, by node kind (None when
        the plan is not proven optimal); see :mod:`matcher.solvers._duals`.
    certify_seconds : float
        Time spent computing the certificate (part of the solve).
    replan_rounds : int
        Rounds of a re-plan from a previous plan (``solve(..., previous=)``),
        0 when solved from scratch.
    blocking : int64 array or None
        Method ``"stable"``: the edges that block the plan (None for other methods).
    gap : float or None
        Method ``"milp"``: the relative optimality gap HiGHS proved (0.0:
        optimal; above 0 when a time limit stopped it). None for the others.

    Examples
    --------
    >>> from matcher import Graph, solve_graph
    >>> sol = solve_graph(Graph.from_dense([[4, 1], [2, 8]]))
    >>> sol.edge.tolist(), sol.volunteer.tolist(), sol.need.tolist(), sol.int_cost
    ([1, 2], [1, 0], [0, 1], 3)
    """

    method: str
    status: Status
    edge: NDArray[np.int64]
    volunteer: NDArray[np.int64]
    need: NDArray[np.int64]
    served: NDArray[np.int64]
    served_priority: int
    int_cost: int
    int_penalty: int
    cost: float
    parts: int = 1
    backend_seconds: float = 0.0
    certificate: Potentials | None = None
    certify_seconds: float = 0.0
    replan_rounds: int = 0
    blocking: NDArray[np.int64] | None = None
    gap: float | None = None


# ---------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------


def _ratio(a: float, b: float, empty: float) -> float:
    return float(a) / float(b) if b else empty


def _gini(x: NDArray[np.int64]) -> float:
    """Gini coefficient of non-negative values (0 when all equal or empty)."""
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    s = np.sort(x).astype(np.float64)
    n = len(s)
    cum = np.cumsum(s)
    return float((n + 1 - 2 * (cum / cum[-1]).sum()) / n)


def unmatched_reasons(
    graph: Graph,
    diag: Diagnostics,
    chosen: NDArray[np.int64],
    priority_first: bool,
    known: Mapping[int, tuple[int, ...]] | None = None,
) -> list[tuple[int, int, str, tuple[int, ...]]]:
    """``(need index, missing, reason, candidates)`` for each need not fully served.

    *known*: candidate counts already known, by need index (the rest are counted).
    """
    served = np.bincount(graph.need[chosen], minlength=graph.n_needs)
    short = np.nonzero(served < graph.demand)[0]
    if len(short) == 0:
        return []
    short_l = short.tolist()
    if known:
        unknown = np.array([j not in known for j in short_l], bool)
        counts = np.zeros((len(short), 5), np.int64)
        counts[unknown] = diag.candidate_counts(short[unknown])
        if not unknown.all():
            counts[~unknown] = [known[j] for j in short[~unknown].tolist()]
    else:
        counts = diag.candidate_counts(short)
    load = np.bincount(graph.volunteer[chosen], minlength=graph.n_volunteers)
    busy: set[tuple[int, int]] = set()
    in_plan: set[tuple[int, int]] = set()
    starts: list[int] = []
    if not priority_first:  # what "not_worth" looks at
        if graph.one_need_per_slot:
            s = graph.need_slot[graph.need[chosen]]
            busy = set(
                zip(graph.volunteer[chosen][s >= 0].tolist(), s[s >= 0].tolist(), strict=True)
            )
        in_plan = set(
            zip(graph.volunteer[chosen].tolist(), graph.need[chosen].tolist(), strict=True)
        )
        starts = np.searchsorted(graph.need, np.arange(graph.n_needs + 1)).tolist()
    # the first filter that left no one names the reason; with candidates, "taken"
    zero = counts == 0
    first = np.where(zero.any(axis=1), zero.argmax(axis=1), -1).tolist()
    rules = ("no_skill", "out_of_range", "no_slot", "other_community", "unavailable")
    team = (
        [False] * len(short)
        if graph.need_group is None
        else (graph.need_group[short] >= 0).tolist()
    )
    missing = (graph.demand[short] - served[short]).tolist()
    out = []
    for j, c, f, t, miss in zip(short_l, counts.tolist(), first, team, missing, strict=True):
        if f >= 0:
            reason = rules[f]
        elif t:
            reason = "team"  # candidates exist; the team could not be served whole
        else:
            reason = "taken"
            if not priority_first:
                slot = int(graph.need_slot[j])
                for e in range(starts[j], starts[j + 1]):
                    a = int(graph.volunteer[e])
                    if (a, j) in in_plan or load[a] >= graph.capacity[a]:
                        continue
                    if graph.one_need_per_slot and slot >= 0 and (a, slot) in busy:
                        continue
                    reason = "not_worth"
                    break
        out.append((j, miss, reason, tuple(c)))
    return out


def _ascending(ids: tuple[str, ...]) -> bool:
    return all(a < b for a, b in zip(ids, ids[1:], strict=False))


def in_units(count: int, resolution: float) -> float:
    """``count * resolution`` without binary noise: 479 x 0.001 is 0.479, not 0.47900000000000004.

    Rounded to 15 significant digits (what a float64 holds exactly in
    decimal) unless that would change the count: ``round(in_units(c, r) / r) == c``.
    """
    exact = count * resolution
    short = float(f"{exact:.15g}")
    return short if round(short / resolution) == count else exact


def assemble(
    problem: Problem,
    graph: Graph,
    diag: Diagnostics,
    solution: GraphSolution,
    priority_first: bool,
    timings: Mapping[str, float],
    *,
    reuse: Sequence[Match | None] | None = None,
    known: Mapping[int, Unmatched] | None = None,
    certificate: Certificate | None = None,
) -> Result:
    """Build the :class:`Result` of *problem* from a graph solution.

    A re-plan passes what it knows still holds: *reuse*, for each chosen
    edge, the previous :class:`Match` of the same two unchanged records (or
    None); *known*, the previous :class:`Unmatched` of unchanged needs by
    index, whose candidate counts still hold (the object itself is re-used
    when nothing else changed); *certificate*, the certificate of
    ``solution.certificate`` already named by id.
    """
    e = solution.edge
    res = graph.resolution
    if reuse is None:
        matches = _matches(graph, e)
    else:
        fresh = iter(_matches(graph, e[np.array([m is None for m in reuse], bool)]))
        matches = tuple(next(fresh) if m is None else m for m in reuse)
    known = known or {}
    unmatched = tuple(
        _unmatched(known.get(j), graph.need_ids[j], missing, reason, cand)
        for j, missing, reason, cand in unmatched_reasons(
            graph, diag, e, priority_first, {j: u.candidates for j, u in known.items()}
        )
    )
    objective = Objective(
        served_priority=solution.served_priority,
        int_cost=solution.int_cost,
        cost=in_units(solution.int_cost, res),
        int_penalty=solution.int_penalty,
        penalty=in_units(solution.int_penalty, res),
    )
    metrics = compute_metrics(problem, graph, solution, objective, diag)
    return Result(
        status=solution.status,
        method=solution.method,
        matches=matches,
        unmatched=unmatched,
        objective=objective,
        metrics=metrics,
        timings=dict(timings),
        certificate=(
            None
            if solution.certificate is None
            else certificate or Certificate.from_potentials(solution.certificate, graph)
        ),
        gap=solution.gap,
        stability=(
            None
            if solution.blocking is None
            else Stability(
                stable=len(solution.blocking) == 0,
                blocking=tuple(
                    sorted(
                        (graph.need_ids[j], graph.volunteer_ids[v])
                        for j, v in zip(
                            graph.need[solution.blocking].tolist(),
                            graph.volunteer[solution.blocking].tolist(),
                            strict=True,
                        )
                    )
                ),
            )
        ),
    )


def _unmatched(
    old: Unmatched | None, need_id: str, missing: int, reason: str, cand: tuple[int, ...]
) -> Unmatched:
    if old is not None and (old.missing, old.reason, old.candidates) == (missing, reason, cand):
        return old
    return Unmatched(need_id, missing, reason, cand)


def _matches(graph: Graph, e: NDArray[np.int64]) -> tuple[Match, ...]:
    """The :class:`Match` of each edge *e*, in the order given."""
    res = graph.resolution
    assert graph.distance_km is not None and graph.parts is not None
    names = sorted(COST_PARTS)  # a FrozenMap's order: no sorting per match
    part_values = [graph.parts[k][e].tolist() for k in names]
    return tuple(
        Match(
            need_id=graph.need_ids[j],
            volunteer_id=graph.volunteer_ids[v],
            cost=in_units(c, res),
            distance_km=d,
            parts=FrozenMap._of_sorted(dict(zip(names, ps, strict=True))),
        )
        for j, v, c, d, *ps in zip(
            graph.need[e].tolist(),
            graph.volunteer[e].tolist(),
            graph.cost[e].tolist(),
            graph.distance_km[e].tolist(),
            *part_values,
            strict=True,
        )
    )


def _tally(
    code: NDArray[np.int64], names: Sequence[str], got: NDArray[np.int64], want: NDArray[np.int64]
) -> dict[str, list[int]]:
    """``name -> [sum of got, sum of want]`` over the records of each name (code -1: UNKNOWN).

    Names that appear on no record are left out; names may repeat (their sums add up).
    """
    k = len(names)
    idx = np.where(code >= 0, code, k)
    a = np.bincount(idx, weights=got, minlength=k + 1).astype(np.int64)
    b = np.bincount(idx, weights=want, minlength=k + 1).astype(np.int64)
    n = np.bincount(idx, minlength=k + 1)
    out: dict[str, list[int]] = {}
    for i, name in enumerate([*names, UNKNOWN]):
        if n[i]:
            row = out.setdefault(name, [0, 0])
            row[0] += int(a[i])
            row[1] += int(b[i])
    return out


def compute_metrics(
    problem: Problem,
    graph: Graph,
    sol: GraphSolution,
    objective: Objective,
    diag: Diagnostics,
) -> Metrics:
    """Measure the plan (plain Python numbers)."""
    nv = graph.n_volunteers
    served = sol.served
    demand = graph.demand
    load = np.bincount(sol.volunteer, minlength=nv)
    used = int((load > 0).sum())
    n_match = len(sol.edge)
    dist = graph.distance_km[sol.edge] if graph.distance_km is not None else np.zeros(0)
    edge_cost = graph.cost[sol.edge].sum() * graph.resolution

    enc = diag.encoding  # the graph's own (sorted-id order): counted by code
    by_cat = _tally(enc.need_cat, enc.category_names, served, demand)
    comms = [c or UNKNOWN for c in enc.community_names]
    by_comm = _tally(enc.need_comm, comms, served, demand)
    unit_of = {v.id: v.unit or UNKNOWN for v in problem.volunteers}
    unit_names = sorted(set(unit_of.values()))
    code = {u: i for i, u in enumerate(unit_names)}
    unit_code = np.fromiter((code[unit_of[i]] for i in graph.volunteer_ids), np.int64, nv)
    by_unit = _tally(unit_code, unit_names, (load > 0).astype(np.int64), np.ones(nv, np.int64))

    def shares(table: Mapping[str, list[int]]) -> dict[str, float]:
        return {k: _ratio(a, b, 1.0) for k, (a, b) in sorted(table.items())}

    units_demanded = int(demand.sum())
    pri_demanded = int(np.dot(graph.priority, demand))
    return Metrics(
        units_demanded=units_demanded,
        units_served=int(served.sum()),
        coverage=_ratio(int(served.sum()), units_demanded, 1.0),
        priority_coverage=_ratio(sol.served_priority, pri_demanded, 1.0),
        total_cost=float(objective.cost),
        mean_cost=_ratio(float(edge_cost), n_match, 0.0),
        mean_distance_km=float(dist.mean()) if n_match else 0.0,
        volunteers=nv,
        volunteers_used=used,
        participation_rate=_ratio(used, nv, 0.0),
        mean_load=_ratio(n_match, nv, 0.0),
        max_load=int(load.max()) if nv else 0,
        load_gini=_gini(load),
        coverage_by_category=shares(by_cat),
        coverage_by_community=shares(by_comm),
        participation_by_unit=shares(by_unit),
    )
