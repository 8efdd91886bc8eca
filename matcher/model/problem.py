"""The problem: volunteers, needs, a policy and the pairs that must, must not or did serve.

Making a :class:`Problem` validates everything at once (records, ids, pairs,
the rules of pinned pairs) and raises one :class:`~matcher.InputError` listing
every problem.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, fields
from functools import cached_property
from itertools import chain
from typing import Any

from .. import limits
from ..errors import InputError, InputProblem, short_repr
from . import rules
from ._checks import _check_need, _check_policy, _check_volunteer, _Checker, _is_name
from .policy import Policy
from .records import Need, Volunteer

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """Volunteers, needs and a policy: everything the solver needs, validated.

    Parameters
    ----------
    volunteers : sequence of Volunteer
    needs : sequence of Need
    policy : Policy, default Policy()
    pinned : iterable of (need_id, volunteer_id), default ()
        Pairs that must be in the plan. Each must be feasible and fit the
        capacities, demands and (with ``one_need_per_slot``) the slots.
    forbidden : iterable of (need_id, volunteer_id), default ()
        Pairs that must not be in the plan.
    history : iterable of (need_id or household, volunteer_id), default ()
        Pairs served before (continuity of care): a candidate pair of a
        volunteer with a need whose id or ``household`` is paired with them
        here costs ``Weights.continuity`` less. Records no longer present may
        be named (they no longer count); kept sorted and without repeats.

    Raises
    ------
    InputError
        With one :class:`~matcher.InputProblem` per problem found, in order:
        the policy; every volunteer; every need; duplicate ids; pinned and
        forbidden pairs (malformed, unknown ids, repeated, both pinned and
        forbidden); a pinned pair breaking a feasibility rule (named) or
        over-filling a capacity, a demand or a slot. Rules of pinned pairs are
        checked only once the records they name are valid.

    Notes
    -----
    Empty problems are valid and give an empty plan. The records are kept in
    the order given; the candidate graph indexes them by sorted id, so the plan
    does not depend on the input order.

    Examples
    --------
    >>> vs = [Volunteer("v1", {"nursing": 3}, (31.230, 121.470))]
    >>> ns = [Need("n1", "elderly_care", {"nursing": 2}, (31.232, 121.471), priority=3)]
    >>> p = Problem(vs, ns)
    >>> len(p.volunteers), len(p.needs)
    (1, 1)
    >>> Problem(vs, ns, pinned=[("n1", "v9")])
    Traceback (most recent call last):
      ...
    matcher.errors.InputError: 1 problem in the input:
      pinned pair ('n1', 'v9'): `volunteer_id` must be the id of a volunteer; got 'v9'.
    """

    volunteers: Sequence[Volunteer]
    needs: Sequence[Need]
    policy: Policy = Policy()
    pinned: Sequence[tuple[str, str]] = ()
    forbidden: Sequence[tuple[str, str]] = ()
    history: Sequence[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in ("volunteers", "needs", "pinned", "forbidden", "history"):
            value = getattr(self, name)
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
                put(self, name, tuple(value))
        # Only sequences are canonicalised; anything else (a string, a number) is left
        # for _validate to report instead of being iterated (or failing to be).
        for name in ("pinned", "forbidden", "history"):
            value = getattr(self, name)
            if isinstance(value, tuple):
                put(self, name, tuple(_canon_pair(p) for p in value))
        problems = _validate(self)
        if problems:
            raise InputError(problems)
        put(self, "history", tuple(sorted(set(self.history))))

    def __hash__(self) -> int:
        return hash((len(self.volunteers), len(self.needs), self.policy, self.pinned))

    @cached_property
    def volunteer_index(self) -> dict[str, int]:
        """Map volunteer id -> position in :attr:`volunteers`."""
        return {v.id: i for i, v in enumerate(self.volunteers)}

    @cached_property
    def need_index(self) -> dict[str, int]:
        """Map need id -> position in :attr:`needs`."""
        return {n.id: i for i, n in enumerate(self.needs)}


def _canon_pair(pair: Any) -> Any:
    if isinstance(pair, (list, tuple)) and len(pair) == 2:
        return (pair[0], pair[1])
    return pair


def _validate(p: Problem) -> list[InputProblem]:
    out: list[InputProblem] = []
    for name in ("volunteers", "needs"):
        records = getattr(p, name)
        if isinstance(records, tuple):
            limits.check(name, len(records), "MAX_RECORDS", "problem")
    if not isinstance(p.policy, Policy):
        _Checker("policy", "policy", None, out).bad("policy", "a Policy", p.policy)
        geometry: Any = None
    else:
        _check_policy(p.policy, out)
        geometry = p.policy.geometry
    records_ok = not out
    records_ok &= _check_records(
        "volunteer", p.volunteers, Volunteer, _check_volunteer, geometry, out
    )
    records_ok &= _check_records("need", p.needs, Need, _check_need, geometry, out)
    pinned, forbidden = p.pinned, p.forbidden
    if not isinstance(pinned, tuple) or not isinstance(forbidden, tuple):
        for k, value in (("pinned", pinned), ("forbidden", forbidden)):
            if not isinstance(value, tuple):
                _Checker(k, "problem", None, out).bad(
                    k, "a sequence of (need_id, volunteer_id) pairs", type(value).__name__
                )
        return out
    # Ids and pairs of the wrong type (e.g. JSON lists) are reported above and below;
    # they are left out of these sets, which need hashable values.
    vids = {v.id for v in p.volunteers if isinstance(v, Volunteer) and isinstance(v.id, str)}
    nids = {n.id for n in p.needs if isinstance(n, Need) and isinstance(n.id, str)}
    pinned_ok = _check_pairs("pinned", pinned, nids, vids, out)
    _check_pairs("forbidden", forbidden, nids, vids, out)
    both = sorted(set(_good_pairs(pinned)) & set(_good_pairs(forbidden)), key=str)
    for pair in both:
        _Checker("pinned", f"pinned pair {pair!r}", None, out).bad(
            "pair", "not also forbidden", "a forbidden pair"
        )
    if records_ok and pinned_ok and not both and p.pinned:
        _check_pinned_rules(p, out)
    if not isinstance(p.history, tuple):
        _Checker("history", "problem", None, out).bad(
            "history",
            "a sequence of (need_id or household, volunteer_id) pairs",
            type(p.history).__name__,
        )
    else:
        for i, pair in enumerate(p.history):
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(_is_name(x) for x in pair)):
                _Checker("history", f"history pair #{i}", i, out).bad(
                    "pair", "a (need_id or household, volunteer_id) pair of non-empty strings", pair
                )
    return out


def _good_pairs(pairs: Iterable[Any]) -> list[tuple[str, str]]:
    """The well-formed (need_id, volunteer_id) pairs of *pairs* (the others are reported)."""
    return [
        p
        for p in pairs
        if isinstance(p, tuple) and len(p) == 2 and all(isinstance(x, str) for x in p)
    ]


# Records already checked under the same policy, by id() of the live objects: a
# Planner's update sets this around Problem(...) so that only new records are checked.
_CHECKED: ContextVar[frozenset[int]] = ContextVar("_CHECKED", default=frozenset())


def _check_records(
    kind: str,
    seq: Any,
    cls: type,
    check: Callable[[Any, int, Any, list[InputProblem]], None],
    geometry: Any,
    out: list[InputProblem],
) -> bool:
    """Check every record of one kind and that ids are unique; True if all is well."""
    if not isinstance(seq, tuple):
        _Checker(kind, kind + "s", None, out).bad(kind + "s", f"a sequence of {cls.__name__}", seq)
        return False
    before = len(out)
    first_use: dict[str, int] = {}
    checked = _CHECKED.get()
    for i, rec in enumerate(seq):
        if not isinstance(rec, cls):
            _Checker(kind, f"{kind} #{i}", i, out).bad(
                kind, f"a {cls.__name__}", type(rec).__name__
            )
            continue
        if id(rec) not in checked:
            check(rec, i, geometry, out)
    for i, rec in enumerate(seq):
        rid = getattr(rec, "id", None)
        if not isinstance(rid, str) or not _is_name(rid):
            continue
        if rid in first_use:
            _Checker(kind, f"{kind} {rid!r}", i, out).bad(
                "id", f"unique among {kind}s (first used by {kind} #{first_use[rid]})", rid
            )
        else:
            first_use[rid] = i
    return len(out) == before


def _check_pairs(
    kind: str, pairs: tuple[Any, ...], nids: set[str], vids: set[str], out: list[InputProblem]
) -> bool:
    ok = True
    seen: set[tuple[str, str]] = set()
    for i, pair in enumerate(pairs):
        if not (
            isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        ):
            _Checker(kind, f"{kind} pair #{i}", i, out).bad(
                "pair", "a (need_id, volunteer_id) pair of strings", pair
            )
            ok = False
            continue
        c = _Checker(kind, f"{kind} pair {pair!r}", i, out)
        if pair[0] not in nids:
            c.bad("need_id", "the id of a need", pair[0])
            ok = False
        if pair[1] not in vids:
            c.bad("volunteer_id", "the id of a volunteer", pair[1])
            ok = False
        if pair in seen:
            c.bad("pair", f"listed once in {kind}", "a repeat")
            ok = False
        seen.add(pair)
    return ok


def _check_pinned_rules(p: Problem, out: list[InputProblem]) -> None:
    """Pinned pairs must be feasible and fit capacities, demands and slots."""
    vols = {v.id: v for v in p.volunteers}
    needs = {n.id: n for n in p.needs}
    # malformed forbidden pairs are reported by _check_pairs
    _check_pins(
        p.policy,
        p.pinned,
        p.pinned,
        needs.__getitem__,
        vols.__getitem__,
        _good_pairs(p.forbidden),
        out,
    )


def _check_pins(
    policy: Policy,
    pinned: Sequence[tuple[str, str]],
    new: Sequence[tuple[str, str]],
    need_of: Callable[[str], Any],
    volunteer_of: Callable[[str], Any],
    forbidden: Sequence[tuple[str, str]],
    out: list[InputProblem],
) -> None:
    """Pinned pairs *new* must be feasible, and fit capacities, demands and slots.

    The volunteers and needs *new* names are counted with all of *pinned*:
    the full check passes every pinned pair as *new*, an update the ones it adds.
    """
    pairs = list(new)
    broken = rules.first_broken_rules(
        [volunteer_of(v) for _, v in pairs], [need_of(n) for n, _ in pairs], policy, forbidden
    )
    for pair, (rule, detail) in zip(pairs, broken, strict=True):
        if rule is not None:
            _Checker("pinned", f"pinned pair {pair!r}", None, out).said(
                "pair", f"feasible; it breaks rule {rule} ({rules.RULE_NAMES[rule]})", detail
            )
    named_v, named_n = {v for _, v in pairs}, {n for n, _ in pairs}
    per_volunteer = Counter(v for _, v in pinned if v in named_v)
    for vid, k in sorted(per_volunteer.items()):
        if k > volunteer_of(vid).capacity:
            _Checker("pinned", f"volunteer {vid!r}", None, out).bad(
                "pinned", f"at most capacity={volunteer_of(vid).capacity} pinned needs", f"{k}"
            )
    per_need = Counter(n for n, _ in pinned if n in named_n)
    for nid, k in sorted(per_need.items()):
        if k > need_of(nid).demand:
            _Checker("pinned", f"need {nid!r}", None, out).bad(
                "pinned", f"at most demand={need_of(nid).demand} pinned volunteers", f"{k}"
            )
    if policy.one_need_per_slot:
        by_slot: dict[tuple[str, str], list[str]] = defaultdict(list)
        for nid, vid in pinned:
            if vid not in named_v:
                continue
            slot = need_of(nid).slot
            if slot is not None:
                by_slot[(vid, slot)].append(nid)
        for (vid, slot), nids in sorted(by_slot.items()):
            if len(nids) > 1:
                _Checker("pinned", f"volunteer {vid!r}", None, out).bad(
                    "pinned",
                    f"at most one pinned need in slot {slot!r} (one_need_per_slot)",
                    ", ".join(repr(n) for n in sorted(nids)),
                )


def sorted_order(ids: Sequence[str]) -> list[int]:
    """Positions of *ids* in sorted-id order: the canonical index order of the graph."""
    return sorted(range(len(ids)), key=ids.__getitem__)


def upserted(
    old: Sequence[Any],
    fresh: Sequence[Any],
    gone: set[str],
    where: Callable[[str], int | None] | None = None,
) -> tuple[Any, ...]:
    """*old* without the ids in *gone* or in *fresh*, then all of *fresh*.

    A record that changed (same id) moves to the end. An id that comes twice in
    *fresh* stays twice: the problem's validation names it. *where*, when
    given, tells the position in *old* of an id (None: not there): then *old*
    is copied in slices, not looked at record by record.
    """
    ids = {getattr(r, "id", None) for r in fresh}
    if where is None:
        return tuple([r for r in old if r.id not in gone and r.id not in ids] + list(fresh))
    at = sorted({p for x in chain(gone, ids) if isinstance(x, str) and (p := where(x)) is not None})
    parts: list[tuple[Any, ...]] = []
    start = 0
    for p in at:
        parts.append(tuple(old[start:p]))
        start = p + 1
    parts += [tuple(old[start:]), tuple(fresh)]
    if len(parts) > 8:
        return tuple(chain.from_iterable(parts))
    out = parts[0]
    for part in parts[1:]:
        out += part
    return out


def with_records(
    base: Problem,
    gone: tuple[set[str], set[str]],
    fresh: tuple[Sequence[Any], Sequence[Any]],
    where: tuple[Callable[[str], int | None], Callable[[str], int | None]] | None = None,
) -> Problem | None:
    """*base* with records removed and new or changed ones added, checked by difference.

    ``gone`` are the ids of volunteers and needs that leave; ``fresh`` the new
    versions (or new records), which replace any record of the same id and go
    last, in their order. Only what changed is checked: each fresh record, the
    uniqueness of the fresh ids, and that no pinned or forbidden pair names a
    record that left or changed. The result equals ``Problem(...)`` of the same
    records (``tests/test_planner.py`` checks it); None when a check fails or a
    pair would need its rules checked again -- the caller then makes the
    problem the full way, which reports every problem as usual. *where*: the
    positions of ids among the volunteers and the needs (see :func:`upserted`).
    """
    geometry = base.policy.geometry
    out: list[InputProblem] = []
    parts: list[tuple[tuple[Any, ...], set[str]]] = []
    kinds: tuple[tuple[type, Callable[..., None], Sequence[Any]], ...] = (
        (Volunteer, _check_volunteer, base.volunteers),
        (Need, _check_need, base.needs),
    )
    for k, (cls, check, old) in enumerate(kinds):
        new = tuple(fresh[k])
        ids = [getattr(r, "id", None) for r in new]
        if not all(isinstance(r, cls) for r in new) or len(set(ids)) != len(ids):
            return None
        records = upserted(old, new, gone[k], None if where is None else where[k])
        for i, rec in enumerate(new, start=len(records) - len(new)):
            check(rec, i, geometry, out)
        if out or len(records) > int(limits.MAX_RECORDS):
            return None
        parts.append((records, gone[k] | {str(x) for x in ids}))
    (vols, v_drop), (needs, n_drop) = parts
    for pairs in (base.pinned, base.forbidden):
        if any(n in n_drop or v in v_drop for n, v in pairs):
            return None
    return _checked_copy(base, volunteers=vols, needs=needs)


def problem_with(
    base: Problem,
    gone: tuple[set[str], set[str]],
    fresh: tuple[Sequence[Any], Sequence[Any]],
    pairs: tuple[tuple[Any, ...], tuple[Any, ...]] | None = None,
) -> Problem:
    """*base* with records removed and new or changed ones added, checked the full way.

    As :func:`with_records`, but every problem is found and reported
    (:class:`~matcher.InputError`); the records kept were checked under this
    very policy, so only the new ones are checked again (ids, pairs and pinned
    rules across all, as always). *pairs*: the pinned and the forbidden pairs
    now (default: *base*'s).
    """
    pinned, forbidden = (base.pinned, base.forbidden) if pairs is None else pairs
    new_vols = list(upserted(base.volunteers, fresh[0], gone[0]))
    new_needs = list(upserted(base.needs, fresh[1], gone[1]))
    token = _CHECKED.set(frozenset(map(id, chain(base.volunteers, base.needs))))
    try:
        return Problem(
            new_vols,
            new_needs,
            base.policy,
            pinned=pinned,
            forbidden=forbidden,
            history=base.history,
        )
    finally:
        _CHECKED.reset(token)


def ids_to_remove(
    field: str, ids: Iterable[str], known: Mapping[str, int], problems: list[InputProblem]
) -> set[str]:
    """The ids of *ids* (an ``update()`` argument), each problem added to *problems*.

    Each must be a string, the id of a record in *known*, and come once.
    """
    out: set[str] = set()
    for x in ids:
        if not isinstance(x, str) or x not in known:
            problems.append(
                InputProblem(
                    "update", field, "ids of records in the community", short_repr(x), kind="option"
                )
            )
        elif x in out:
            problems.append(
                InputProblem("update", field, "each id once", short_repr(x), kind="option")
            )
        if isinstance(x, str):
            out.add(x)
    return out


def pairs_after(
    field: str,
    old: Sequence[tuple[str, str]],
    take: Iterable[Any],
    add: Iterable[Any],
    problems: list[InputProblem],
) -> tuple[Any, ...]:
    """*old* pairs without those of *take* (each must be one of them), then those of *add*.

    *field* names the ``update()`` argument *take* came from in a problem
    (``"unpin"``: pairs of the pinned; ``"allow"``: of the forbidden); the
    pairs of *add* are checked with the problem made of them.
    """
    have = set(old)
    kind = "pinned" if field == "unpin" else "forbidden"
    out: set[tuple[str, str]] = set()
    for pair in take:
        good = _good_pairs([_canon_pair(pair)])  # a list of two ids too, as Problem takes
        if not good or good[0] not in have:
            expected = f"{kind} pairs of the community, as (need_id, volunteer_id)"
            problems.append(
                InputProblem("update", field, expected, short_repr(pair), kind="option")
            )
        elif good[0] in out:
            problems.append(
                InputProblem("update", field, "each pair once", short_repr(pair), kind="option")
            )
        else:
            out.add(good[0])
    return (*(p for p in old if p not in out), *add)


def pairs_now(
    base: Problem, changes: tuple[Iterable[Any], ...], problems: list[InputProblem]
) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    """The pinned and forbidden pairs after an update's (pin, unpin, forbid, allow); None if none.

    Problems with *unpin* and *allow* are added to *problems* (:func:`pairs_after`).
    """
    pin, unpin, forbid, allow = (list(x) for x in changes)
    if not (pin or unpin or forbid or allow):
        return None
    return (
        pairs_after("unpin", base.pinned, unpin, pin, problems),
        pairs_after("allow", base.forbidden, allow, forbid, problems),
    )


def with_pairs(
    base: Problem,
    pairs: tuple[tuple[Any, ...], tuple[Any, ...]],
    need_of: Callable[[str], Any],
    volunteer_of: Callable[[str], Any],
) -> Problem | None:
    """*base* with the pinned and forbidden pairs *pairs* (its records as they are), by difference.

    Only the pairs that came are checked -- well formed, naming records there
    (*need_of* / *volunteer_of*: the record of an id, or None), listed once,
    not both pinned and forbidden, and a new pinned pair feasible and within
    its volunteer's capacity, its need's demand and the slot rule. The result
    equals ``Problem(...)`` of the same parts; None when a check fails: the
    caller then makes the problem the full way, which reports every problem.
    """
    pinned, forbidden = (tuple(x) for x in pairs)
    added_p = _added(base.pinned, pinned)
    added_f = _added(base.forbidden, forbidden)
    if added_p is None or added_f is None:
        return None
    for pair in (*added_p, *added_f):
        if need_of(pair[0]) is None or volunteer_of(pair[1]) is None:
            return None
    now_p, now_f = set(pinned), set(forbidden)
    if any(p in now_f for p in added_p) or any(p in now_p for p in added_f):
        return None
    if added_p:
        out: list[InputProblem] = []
        _check_pins(base.policy, pinned, added_p, need_of, volunteer_of, forbidden, out)
        if out:
            return None
    return _checked_copy(base, pinned=pinned, forbidden=forbidden)


def _checked_copy(base: Problem, **parts: Any) -> Problem:
    """*base* with *parts* in place of its own, already checked by difference (not again)."""
    problem = object.__new__(Problem)
    for f in fields(Problem):
        object.__setattr__(problem, f.name, parts.get(f.name, getattr(base, f.name)))
    return problem


def _added(old: Sequence[Any], now: tuple[Any, ...]) -> list[tuple[str, str]] | None:
    """The pairs of *now* past those kept of *old* (*now* keeps them first, in order).

    None if one is malformed or comes twice.
    """
    kept = set(old) & set(_good_pairs(now))
    new = list(now[len(kept) :])
    good = _good_pairs(new)
    if len(good) != len(new) or len(set(good)) != len(good) or set(good) & kept:
        return None
    return good
