"""A fingerprint of a problem: the sha256 of its canonical form, part by part.

Two problems have the same fingerprint when their records (every field, the
user's own ``extra`` fields included), their pinned, forbidden and history
pairs and their policy are the same, whatever the order of the records, of
their skills, slots and pairs. A result records it
(:class:`~matcher.result.Provenance`), so that a result checked against other
data is told apart from a wrong plan, and the part that differs can be named.

The canonical form of a record is the ``repr`` of a tuple of its fields in
declaration order, mappings as their items sorted by key and sets sorted
(``repr`` of ``str``, ``int`` and ``float`` is exact and stable across
platforms); each record is hashed once and a part's digest is the sha256 of
its records' digests in sorted-id order. Cost: about 4 microseconds a record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

from .._frozen import FrozenMap

__all__ = ["FINGERPRINT_VERSION", "Fingerprint", "fingerprint"]

FINGERPRINT_VERSION = "matcher-problem-v1"
"""Names the canonical form; a change to it changes every fingerprint."""


@dataclass(frozen=True)
class Fingerprint:
    """The sha256 (hex) of each part of a problem, and of the whole.

    Attributes
    ----------
    volunteers, needs, pairs, policy : str
        The digest of the volunteers, the needs, the pinned / forbidden /
        history pairs, and the policy.

    Examples
    --------
    >>> from matcher import Need, Problem, Volunteer
    >>> a = Problem([Volunteer("v", ["driving"], (0.0, 0.0))], [Need("n", "medical", [], (0.0, 0.0))])
    >>> b = Problem(a.volunteers, [Need("n", "medical", [], (0.0, 0.0), priority=2)])
    >>> fa, fb = fingerprint(a), fingerprint(b)
    >>> fa.volunteers == fb.volunteers, fa.needs == fb.needs, fa.problem == fb.problem
    (True, False, False)
    >>> len(fa.problem)
    64
    """

    volunteers: str
    needs: str
    pairs: str
    policy: str

    @classmethod
    def deferred(cls, problem: Any, lookup: Mapping[int, Any] | None = None) -> Fingerprint:
        """The fingerprint of *problem*, computed when a part is first read.

        *lookup*: digests of records seen before (a :func:`fingerprint`
        cache), only read. A re-plan that changed one record need not hash the
        whole community at once: only a caller that reads the provenance pays.
        """
        out = object.__new__(cls)
        object.__setattr__(out, "_make", (problem, lookup))
        return out

    def __getattr__(self, name: str) -> Any:
        make = self.__dict__.get("_make")
        if make is None or name not in _PARTS:
            raise AttributeError(name)
        made = fingerprint(make[0], lookup=make[1])
        for k in _PARTS:
            object.__setattr__(self, k, getattr(made, k))
        self.__dict__.pop("_make", None)
        return getattr(made, name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Fingerprint, tuple(getattr(self, k) for k in _PARTS))

    @property
    def problem(self) -> str:
        """The digest of the whole problem (``problem_sha256``)."""
        parts = (FINGERPRINT_VERSION, self.volunteers, self.needs, self.pairs, self.policy)
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def differs(self, other: Fingerprint) -> list[str]:
        """The names of the parts that differ from *other* (in a fixed order)."""
        return [
            name
            for name in ("volunteers", "needs", "pairs", "policy")
            if getattr(self, name) != getattr(other, name)
        ]


_PARTS = ("volunteers", "needs", "pairs", "policy")


def _canon(x: Any) -> Any:
    if isinstance(x, FrozenMap):
        return x  # keys kept sorted: its repr is canonical
    if isinstance(x, Mapping):
        return tuple(sorted((k, _canon(v)) for k, v in x.items()))
    if isinstance(x, (set, frozenset)):
        return tuple(sorted(x))
    if isinstance(x, (list, tuple)):
        return tuple(_canon(v) for v in x)
    return x


_PLAIN = frozenset({str, int, float, bool, type(None), FrozenMap, tuple})  # tuples: locations


def _record_digest(record: Any, get: attrgetter[Any]) -> bytes:
    values = get(record)
    if any(type(v) not in _PLAIN for v in values):  # sets of slots, categories
        values = tuple(v if type(v) in _PLAIN else _canon(v) for v in values)
    return hashlib.sha256(repr(values).encode()).digest()


def _records_digest(
    records: Iterable[Any], cache: dict[int, Any] | None, lookup: Mapping[int, Any] | None = None
) -> str:
    ordered = sorted(records, key=lambda r: r.id)
    h = hashlib.sha256()
    if not ordered:
        return h.hexdigest()
    get = attrgetter(*(f.name for f in fields(ordered[0])))
    if cache is None and lookup is None:
        for r in ordered:
            h.update(_record_digest(r, get))
        return h.hexdigest()
    seen = cache if cache is not None else lookup
    assert seen is not None
    for r in ordered:
        hit = seen.get(id(r))
        if hit is None or hit[0] is not r:  # the same live object, not a reused id
            hit = (r, _record_digest(r, get))
            if cache is not None:
                cache[id(r)] = hit
        h.update(hit[1])
    return h.hexdigest()


def fingerprint(
    problem: Any,
    *,
    cache: dict[int, Any] | None = None,
    lookup: Mapping[int, Any] | None = None,
) -> Fingerprint:
    """The fingerprint of a :class:`~matcher.Problem` (see the module notes).

    Parameters
    ----------
    problem : Problem
    cache : dict, optional
        Digests of records seen before, by ``id`` of the live record (kept with
        the record, so a reused ``id`` is never mistaken for it). A caller that
        fingerprints a changing community again and again (the
        :class:`~matcher.Planner`) passes the same dict and pays only for new
        records; entries of records no longer in *problem* are dropped.
    lookup : mapping, optional
        Such a cache, only read (for a reader that must not change it).

    Returns
    -------
    Fingerprint
    """
    pairs = repr(
        (
            tuple(sorted(problem.pinned)),
            tuple(sorted(problem.forbidden)),
            tuple(sorted(problem.history)),
        )
    )
    policy = repr(_canon({f.name: getattr(problem.policy, f.name) for f in fields(problem.policy)}))
    seen: dict[int, Any] | None = None if cache is None else {}
    if cache is not None and seen is not None:
        seen.update(cache)
    out = Fingerprint(
        volunteers=_records_digest(problem.volunteers, seen, lookup),
        needs=_records_digest(problem.needs, seen, lookup),
        pairs=hashlib.sha256(pairs.encode()).hexdigest(),
        policy=hashlib.sha256(policy.encode()).hexdigest(),
    )
    if cache is not None and seen is not None:
        live = {id(r) for r in problem.volunteers} | {id(r) for r in problem.needs}
        cache.clear()
        cache.update((k, v) for k, v in seen.items() if k in live)
    return out
