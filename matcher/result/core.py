"""The result: the plan with ids put back, and the lossless dict / JSON form.

Solvers return edge indices; :mod:`matcher.result.assemble` turns them into a
:class:`Result` that names volunteers and needs by id. This package is the
only place where ids come back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..errors import InputError, InputProblem
from ._validate import result_fields
from .certificate import Certificate
from .churn import Churn, Stability
from .metrics import Metrics
from .plan import FILTERS, REASONS, Match, Objective, Status, Unmatched
from .provenance import Provenance

__all__ = ["SCHEMA_VERSION", "Result"]


SCHEMA_VERSION = 4
"""Version of the dict / JSON layout of :meth:`Result.to_dict` (2: with ``certificate``;
3: with ``churn``; 4: with ``provenance``); files of versions 1 to 4 read."""


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
        After a :class:`~matcher.Planner` event, a
        :class:`~matcher.result.lazy.LazyTuple`: the same items, made when
        first read (equal to their tuple; pickled as one).
    objective : Objective
    metrics : Metrics
    timings : dict of str to float
        Seconds per stage: ``build_graph``, ``solve``, ``assemble``, ``total``;
        and, within ``solve``, ``backend`` (the solver backends, summed over
        independent parts) and ``certify`` (computing the certificate).
    certificate : Certificate or None
        The proof of optimality of an ``OPTIMAL`` plan (None otherwise, or when
        solved with ``certify=False``); :func:`matcher.verify` checks it.
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
    provenance : Provenance or None
        The matcher version, the policy solved under and the fingerprint of
        the problem (every result of :func:`~matcher.solve` and the
        :class:`~matcher.Planner` has it; None in files older than schema 4).

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
    unmatched: Sequence[Unmatched]
    objective: Objective
    metrics: Metrics
    timings: Mapping[str, float] = field(default_factory=dict)
    certificate: Certificate | None = None
    churn: Churn | None = None
    stability: Stability | None = None
    gap: float | None = None
    provenance: Provenance | None = None

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
        ['certificate', 'churn', 'gap', 'matches', 'method', 'metrics', 'objective', 'provenance', 'schema_version', 'stability', 'status', 'timings', 'unmatched']
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
            "provenance": None if self.provenance is None else self.provenance.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a result from :meth:`to_dict` output (of schema version 1 to 4).

        Every field is checked before anything is built
        (``matcher/result/_validate.py``): a dict that is not a result raises
        one error naming each bad field by its path (``matches[3].cost``),
        never a ``TypeError`` later in :func:`matcher.verify`, :meth:`explain`
        or ``solve(previous=)``.

        Raises
        ------
        InputError
            Every missing, unknown or malformed field at once, or the schema
            version when it is unknown.

        Examples
        --------
        >>> from matcher import Need, Problem, solve
        >>> data = solve(Problem([], [Need("n1", "repair", ["x"], (0.0, 0.0))])).to_dict()
        >>> data["unmatched"][0]["missing"] = 0
        >>> data["unmatched"][0]["reason"] = "lazy"
        >>> Result.from_dict(data)
        Traceback (most recent call last):
          ...
        matcher.errors.InputError: 2 problems in the input:
          result: `unmatched[0].missing` must be an integer in 1..1000000000; got 0.
          result: `unmatched[0].reason` must be one of no_skill, out_of_range, no_slot, other_community, unavailable, taken, not_worth, team; got 'lazy'.
        """
        return cls(**result_fields(data))

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
            repeated keys, is nested too deep to parse, or is not a result
            (see :meth:`from_dict`).
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
        except (ValueError, TypeError, RecursionError) as exc:  # JSONDecodeError: a ValueError
            # RecursionError: nested deeper than the parser goes, refused as read_result does
            raise InputError(
                [
                    InputProblem(
                        "result",
                        "json",
                        "a result written by Result.to_json()",
                        str(exc)[:120],
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
