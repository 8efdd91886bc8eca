"""The policy: the rules and weights a plan is made under."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Literal

from .._frozen import FrozenMap
from .records import _canon_float, _canon_int

__all__ = ["Policy", "Weights"]


@dataclass(frozen=True)
class Weights:
    """Weights of the terms of an edge's cost (all >= 0).

    ``cost = distance*km + overskill*levels_above + preference*[miss] + outside*[other community]
    - continuity*[served before]``

    Parameters
    ----------
    distance : float, default 1.0
        Per km travelled.
    overskill : float, default 0.1
        Per skill level above the required one, summed over the required skills.
    preference : float, default 1.0
        When the volunteer has preferred categories and the need's is not among them.
    outside : float, default 0.5
        When both communities are known and differ.
    continuity : float, default 0.0
        Taken off the cost of a pair that served before: the volunteer and the
        need's id or household are in :attr:`Problem.history` (so a resident
        keeps the same helper). The cost may then be negative.

    Examples
    --------
    >>> from matcher import Policy, Weights
    >>> Policy(weights=Weights(distance=2.0, outside=0.0)).weights
    Weights(distance=2.0, overskill=0.1, preference=1.0, outside=0.0, continuity=0.0)
    """

    distance: float = 1.0
    overskill: float = 0.1
    preference: float = 1.0
    outside: float = 0.5
    continuity: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _canon_float(getattr(self, f.name)))


@dataclass(frozen=True)
class Policy:
    """How pairs are allowed and priced. Every field is optional.

    Parameters
    ----------
    max_distance_km : float or None, default 3.0
        Global travel limit (None = no limit).
    same_community : bool, default False
        Only pair members with needs of their own community.
    one_need_per_slot : bool, default True
        A volunteer serves at most one need per slot.
    geometry : {"geo", "plane"}, default "geo"
        Haversine on a sphere of radius 6371.0088 km, or Euclidean km.
    weights : Weights or mapping, default Weights()
        Weights of the cost terms.
    load_penalty : float, default 0.0
        The k-th need given to one volunteer costs ``(k-1) * load_penalty`` more.
    unmatched_cost : float or None, default None
        None: coverage first (lexicographic objective). A number ``c``: an unserved
        unit of a need of priority ``p`` costs ``c * p``.
    resolution : float, default 0.001
        Costs are rounded (half to even) to integer multiples of this before solving.
    participation : bool, default False
        Make breadth of participation a level of the objective: first the
        served priority, then the number of volunteers engaged (at least one
        need), then the cost. Exact in every exact method. Only with the
        coverage-first objective (``unmatched_cost`` None).
    participation_floors : mapping of str to int, default empty
        Employer unit (``Volunteer.unit``) -> the fewest of its volunteers the
        plan must engage: hard constraints, solved by method ``"milp"``
        (``"auto"`` picks it). A floor no plan can meet makes the problem
        have no plan (``UnsupportedProblem`` says so).

    Examples
    --------
    >>> Policy(max_distance_km=5, weights={"overskill": 0.0}).weights.overskill
    0.0
    """

    max_distance_km: float | None = 3.0
    same_community: bool = False
    one_need_per_slot: bool = True
    geometry: Literal["geo", "plane"] = "geo"
    weights: Weights = Weights()
    load_penalty: float = 0.0
    unmatched_cost: float | None = None
    resolution: float = 0.001
    participation: bool = False
    participation_floors: Mapping[str, int] = field(default_factory=FrozenMap)

    if TYPE_CHECKING:  # what the constructor accepts; the fields hold the canonical forms

        def __init__(
            self,
            max_distance_km: float | None = 3.0,
            same_community: bool = False,
            one_need_per_slot: bool = True,
            geometry: Literal["geo", "plane"] = "geo",
            weights: Weights | Mapping[str, float] = Weights(),
            load_penalty: float = 0.0,
            unmatched_cost: float | None = None,
            resolution: float = 0.001,
            participation: bool = False,
            participation_floors: Mapping[str, int] = ...,
        ) -> None: ...

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "max_distance_km", _canon_float(self.max_distance_km))
        put(self, "load_penalty", _canon_float(self.load_penalty))
        put(self, "unmatched_cost", _canon_float(self.unmatched_cost))
        put(self, "resolution", _canon_float(self.resolution))
        floors = self.participation_floors
        if isinstance(floors, Mapping):
            put(
                self,
                "participation_floors",
                FrozenMap({k: _canon_int(v) for k, v in floors.items()}),
            )
        w = self.weights
        if isinstance(w, Mapping) and set(w) <= {f.name for f in fields(Weights)}:
            put(self, "weights", Weights(**w))

    @property
    def load_step(self) -> int:
        """The integer cost of one step of the load penalty (``round(load_penalty / resolution)``)."""
        return round(self.load_penalty / self.resolution)
