"""A result read back (``Result.from_dict``): every field checked, every problem at once.

A result file is input like any other: ``matcher verify``, ``matcher explain``,
``matcher report`` and ``solve(previous=)`` read what a user hands them. So it
is checked whole, here, when it is read, against what
``matcher/io/schema/result-v4.schema.json`` says: ids are non-empty strings
without surrounding spaces, numbers are finite, counts are non-negative
integers within ``10**9``, reasons are those of :data:`~matcher.result.REASONS`,
candidate counts are 5, certificate potentials are integers within ``2**62``,
and so on. Every problem is named by its JSON path (``matches[3].cost``,
``certificate.needs['n1']``), all in one :class:`~matcher.InputError`; nothing
of a bad file becomes a :class:`~matcher.Result`, so nothing downstream
meets a string where a number goes. Whether the numbers are *right* for the
problem is :func:`matcher.verify`'s business, not this module's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from ..errors import InputError, InputProblem, short_repr
from ..model._checks import MAX_COUNT, _check_policy, _is_int, _is_name, _is_real
from .certificate import Certificate
from .churn import Churn, Stability
from .metrics import Metrics
from .plan import FILTERS, REASONS, Match, Objective, Status, Unmatched
from .provenance import Provenance

__all__ = ["READABLE_VERSIONS", "result_fields"]

READABLE_VERSIONS = (1, 2, 3, 4)
"""The result layouts :meth:`Result.from_dict` reads."""

MAX_POTENTIAL = 2**62
"""Largest ``|potential|``, ``big_m`` or ``engage`` of a certificate read back (verify
refuses those beyond its exact range, ``2**61``, by name; beyond this they are not numbers
any solver wrote)."""

_INT64 = 2**63 - 1
_GINI_NOISE = 1e-9  # matchers up to 0.1 wrote an even load's Gini as -3e-16, say

_REQUIRED: tuple[str, ...] = ("schema_version", "status", "method", "objective", "matches")
_REQUIRED += ("unmatched", "metrics", "timings")
_OPTIONAL = ("certificate", "churn", "stability", "gap", "provenance")
_MATCH = ("need_id", "volunteer_id", "cost", "distance_km", "parts")
_UNMATCHED = ("need_id", "missing", "reason", "candidates")
_OBJECTIVE = ("served_priority", "int_cost", "cost", "int_penalty", "penalty")
_COUNTS = ("units_demanded", "units_served", "volunteers", "volunteers_used", "max_load")
_SHARES = ("coverage", "priority_coverage", "participation_rate", "load_gini")
_TABLES = ("coverage_by_category", "coverage_by_community", "participation_by_unit")
_METRICS = (
    *_COUNTS,
    *_SHARES,
    "total_cost",
    "mean_cost",
    "mean_distance_km",
    "mean_load",
    *_TABLES,
)
_CERTIFICATE = ("big_m", "volunteers", "needs", "slots")
_CHURN = ("cost", "int_cost", "previous", "kept", "moved", "added", "dropped")
_PROVENANCE = ("matcher_version", "problem_sha256", "parts_sha256", "policy")
_DIGESTS = ("volunteers", "needs", "pairs", "policy")
_STATUSES = tuple(s.value for s in Status)
_ID = "a non-empty string without surrounding spaces"
_GONE: Any = object()  # a key that is not there (reported once, as missing)


def _finite(v: Any) -> bool:
    return type(v) is float and math.isfinite(v)


def _share(v: Any) -> bool:
    return type(v) is float and 0.0 <= v <= 1.0


def _potential(v: Any) -> bool:
    return type(v) is int and -MAX_POTENTIAL <= v <= MAX_POTENTIAL


def _shown(value: Any) -> str:
    """What came, for a message: a short repr of a scalar, a description of anything else.

    Never the repr of a container (a deeply nested one would recurse, a long one
    would be built whole first) nor of a huge integer (``repr`` refuses 4,300 digits).
    """
    if isinstance(value, str):
        return short_repr(value[:60])
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    if value is None or isinstance(value, (bool, int, float)):
        return short_repr(value)
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, Mapping):
        return f"an object with {len(value)} key{'s' if len(value) != 1 else ''}"
    return type(value).__name__


def _range(lo: int, hi: int) -> str:
    def text(x: int) -> str:
        if abs(x) == _INT64:
            return "-(2**63-1)" if x < 0 else "2**63-1"
        if abs(x) > MAX_COUNT and abs(x) & (abs(x) - 1) == 0:
            return f"{'-' if x < 0 else ''}2**{abs(x).bit_length() - 1}"
        return str(x)

    return f"an integer in {text(lo)}..{text(hi)}"


class _Reader:
    """Reads a result dict field by field, collecting every problem by its JSON path."""

    def __init__(self) -> None:
        self.problems: list[InputProblem] = []

    # -------------------------------------------------------------- scalars
    def bad(self, path: str, expected: str, value: Any) -> None:
        """A problem at *path*; none for a missing key (:meth:`obj` said it is missing)."""
        if value is not _GONE:
            self.said(path, expected, _shown(value))

    def said(self, path: str, expected: str, got: str) -> None:
        self.problems.append(InputProblem("result", path, expected, got, kind="file"))

    def name(self, value: Any, path: str) -> str:
        if not _is_name(value):
            self.bad(path, _ID, value)
            return ""
        return str(value)

    def integer(self, value: Any, path: str, lo: int = 0, hi: int = MAX_COUNT) -> int:
        if not (_is_int(value) and lo <= value <= hi):
            self.bad(path, _range(lo, hi), value)
            return 0
        return int(value)

    def real(
        self, value: Any, path: str, lo: float | None = None, hi: float | None = None
    ) -> float:
        try:
            x = float(value) if _is_real(value) else math.nan
        except OverflowError:  # an integer too large for a float
            x = math.inf
        if not math.isfinite(x) or (lo is not None and x < lo) or (hi is not None and x > hi):
            what = "a finite number"
            if lo is not None:
                low = max(lo, 0)  # the Gini's tolerance for rounding noise is not a rule
                what += f" in {low:g}..{hi:g}" if hi is not None else f" >= {low:g}"
            self.bad(path, what, value)
            return 0.0
        return x

    def share(self, value: Any, path: str) -> float:
        return self.real(value, path, 0, 1)

    def optional(self, value: Any, path: str, read: Callable[[Any, str], Any]) -> Any:
        return None if value is None or value is _GONE else read(value, path)

    # ------------------------------------------------------------ containers
    def obj(
        self, value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> Mapping[str, Any] | None:
        """*value* if it is an object; its missing and unknown keys are problems."""
        if not isinstance(value, Mapping):
            self.bad(path, "an object", value)
            return None
        for k in required:
            if k not in value:
                self.said(_at(path, k), "present", "missing")
        known = (*required, *optional)
        for k in value:
            if k not in known:
                self.said(_at(path, str(k)), f"one of the fields ({', '.join(sorted(known))})", "")
        return value

    def items(self, value: Any, path: str, read: Callable[[Any, str], Any]) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)):
            self.bad(path, "a list", value)
            return ()
        return tuple(read(x, f"{path}[{i}]") for i, x in enumerate(value))

    def table(
        self,
        value: Any,
        path: str,
        read: Callable[[Any, str], Any],
        ids: bool = True,
        fast: Callable[[Any], bool] | None = None,
    ) -> dict[str, Any]:
        """An object of name to value (*ids*: the names are ids, slot or record names).

        *fast*: says a value is good as it is (not read, so no path made: certificates
        hold a potential per record).
        """
        if not isinstance(value, Mapping):
            self.bad(path, "an object", value)
            return {}
        out = {}
        for k, v in value.items():
            if fast is not None and fast(v) and type(k) is str and (not ids or _is_name(k)):
                out[k] = v
                continue
            where = f"{path}[{short_repr(k)}]" if isinstance(k, str) else path
            if not isinstance(k, str) or (ids and not _is_name(k)):
                self.bad(where, "keys that are " + (_ID + "s" if ids else "strings"), k)
            out[str(k)] = read(v, where)
        return out

    def pair(self, value: Any, path: str) -> tuple[str, str]:
        if not (isinstance(value, (list, tuple)) and len(value) == 2):
            self.bad(path, "a pair [need_id, volunteer_id]", value)
            return ("", "")
        return (self.name(value[0], f"{path}[0]"), self.name(value[1], f"{path}[1]"))

    def potential(self, value: Any, path: str) -> int:
        return self.integer(value, path, -MAX_POTENTIAL, MAX_POTENTIAL)

    def weight(self, value: Any, path: str) -> int:
        return self.integer(value, path, 1, MAX_POTENTIAL)

    def clean_since(self, before: int) -> bool:
        return len(self.problems) == before

    # -------------------------------------------------------------- records
    def match(self, value: Any, path: str) -> Match | None:
        before = len(self.problems)
        m = self.obj(value, path, _MATCH)
        if m is None:
            return None
        got = Match(
            need_id=self.name(m.get("need_id", _GONE), f"{path}.need_id"),
            volunteer_id=self.name(m.get("volunteer_id", _GONE), f"{path}.volunteer_id"),
            cost=self.real(m.get("cost", _GONE), f"{path}.cost"),
            distance_km=self.real(m.get("distance_km", _GONE), f"{path}.distance_km", 0),
            parts=self.table(
                m.get("parts", _GONE), f"{path}.parts", self.real, ids=False, fast=_finite
            ),
        )
        return got if self.clean_since(before) else None

    def unmatched(self, value: Any, path: str) -> Unmatched | None:
        before = len(self.problems)
        u = self.obj(value, path, _UNMATCHED)
        if u is None:
            return None
        need_id = self.name(u.get("need_id", _GONE), f"{path}.need_id")
        missing = self.integer(u.get("missing", _GONE), f"{path}.missing", 1)
        reason = u.get("reason", _GONE)
        if not (isinstance(reason, str) and reason in REASONS):
            self.bad(f"{path}.reason", f"one of {', '.join(REASONS)}", reason)
        counts = u.get("candidates", _GONE)
        if not (isinstance(counts, (list, tuple)) and len(counts) == len(FILTERS)):
            what = f"a list of {len(FILTERS)} counts (volunteers left by {', '.join(FILTERS)})"
            self.bad(f"{path}.candidates", what, counts)
            counts = ()
        cand = tuple(self.integer(c, f"{path}.candidates[{i}]") for i, c in enumerate(counts))
        return Unmatched(need_id, missing, reason, cand) if self.clean_since(before) else None

    def objective(self, value: Any, path: str) -> Objective | None:
        before = len(self.problems)
        o = self.obj(value, path, _OBJECTIVE)
        if o is None:
            return None
        got = Objective(
            served_priority=self.integer(
                o.get("served_priority", _GONE), f"{path}.served_priority", 0, _INT64
            ),
            int_cost=self.integer(o.get("int_cost", _GONE), f"{path}.int_cost", -_INT64, _INT64),
            cost=self.real(o.get("cost", _GONE), f"{path}.cost"),
            int_penalty=self.integer(
                o.get("int_penalty", _GONE), f"{path}.int_penalty", -_INT64, _INT64
            ),
            penalty=self.real(o.get("penalty", _GONE), f"{path}.penalty"),
        )
        return got if self.clean_since(before) else None

    def metrics(self, value: Any, path: str) -> Metrics | None:
        before = len(self.problems)
        m = self.obj(value, path, _METRICS)
        if m is None:
            return None
        kw: dict[str, Any] = {}
        for k in _COUNTS:
            kw[k] = self.integer(m.get(k, _GONE), f"{path}.{k}", 0, _INT64)
        for k in _SHARES:
            lo = -_GINI_NOISE if k == "load_gini" else 0
            kw[k] = self.real(m.get(k, _GONE), f"{path}.{k}", lo, 1)
        for k in ("total_cost", "mean_cost"):
            kw[k] = self.real(m.get(k, _GONE), f"{path}.{k}")
        for k in ("mean_distance_km", "mean_load"):
            kw[k] = self.real(m.get(k, _GONE), f"{path}.{k}", 0)
        for k in _TABLES:
            kw[k] = self.table(m.get(k, _GONE), f"{path}.{k}", self.share, False, _share)
        return Metrics(**kw) if self.clean_since(before) else None

    def certificate(self, value: Any, path: str) -> Certificate | None:
        before = len(self.problems)
        c = self.obj(value, path, _CERTIFICATE, ("engage",))
        if c is None:
            return None

        def slots(v: Any, where: str) -> dict[str, int]:
            return self.table(v, where, self.potential, fast=_potential)

        got = Certificate(
            big_m=self.optional(c.get("big_m", _GONE), f"{path}.big_m", self.weight),
            volunteers=self.table(
                c.get("volunteers", _GONE), f"{path}.volunteers", self.potential, fast=_potential
            ),
            needs=self.table(
                c.get("needs", _GONE), f"{path}.needs", self.potential, fast=_potential
            ),
            slots=self.table(c.get("slots", _GONE), f"{path}.slots", slots),
            engage=self.optional(c.get("engage"), f"{path}.engage", self.weight),
        )
        return got if self.clean_since(before) else None

    def churn(self, value: Any, path: str) -> Churn | None:
        before = len(self.problems)
        c = self.obj(value, path, _CHURN)
        if c is None:
            return None
        counts = {k: self.integer(c.get(k, _GONE), f"{path}.{k}") for k in _CHURN[3:]}
        got = Churn(
            cost=self.real(c.get("cost", _GONE), f"{path}.cost", 0),
            int_cost=self.integer(c.get("int_cost", _GONE), f"{path}.int_cost", 0, _INT64),
            previous=self.items(c.get("previous", _GONE), f"{path}.previous", self.pair),
            **counts,
        )
        return got if self.clean_since(before) else None

    def stability(self, value: Any, path: str) -> Stability | None:
        before = len(self.problems)
        s = self.obj(value, path, ("stable", "blocking"))
        if s is None:
            return None
        stable = s.get("stable", _GONE)
        if not isinstance(stable, bool):
            self.bad(f"{path}.stable", "true or false", stable)
        blocking = self.items(s.get("blocking", _GONE), f"{path}.blocking", self.pair)
        return Stability(bool(stable), blocking) if self.clean_since(before) else None

    def provenance(self, value: Any, path: str) -> Provenance | None:
        before = len(self.problems)
        p = self.obj(value, path, _PROVENANCE)
        if p is None:
            return None
        for k in ("matcher_version", "problem_sha256"):
            if not isinstance(p.get(k, ""), str):
                self.bad(f"{path}.{k}", "a string", p[k])
        if "parts_sha256" in p:
            self.obj(p["parts_sha256"], f"{path}.parts_sha256", _DIGESTS)
        if not self.clean_since(before):
            return None
        found: list[InputProblem] = []
        prov = None
        try:  # the digests, and the policy as a policy file is read ...
            prov = Provenance.from_dict(p)
        except InputError as exc:
            found += exc.problems
        if prov is not None:  # ... and its values, as a Problem checks them
            _check_policy(prov.policy, found)
        self.problems += [_in_provenance(q, path) for q in found]
        return prov if not found else None


def _in_provenance(p: InputProblem, path: str) -> InputProblem:
    """A problem of the provenance's policy, named by its path in the result."""
    if p.record == "result":  # the digests': already so
        return p
    where = f"{path}.policy" + ("" if p.field == "policy" else f".{p.field}")
    return replace(p, record="result", field=where, kind="file")


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def result_fields(data: Any) -> dict[str, Any]:
    """The fields of a :class:`~matcher.Result` read from a dict made by ``Result.to_dict``.

    Raises
    ------
    InputError
        Every problem of the dict at once, each naming its JSON path; only the
        version when it is not one of :data:`READABLE_VERSIONS` (whose layout
        is then unknown).

    Examples
    --------
    >>> result_fields({"schema_version": 4, "status": "maybe"})
    Traceback (most recent call last):
      ...
    matcher.errors.InputError: 7 problems in the input:
      result: `method` must be present; got missing.
      result: `objective` must be present; got missing.
      result: `matches` must be present; got missing.
      result: `unmatched` must be present; got missing.
      result: `metrics` must be present; got missing.
      result: `timings` must be present; got missing.
      result: `status` must be one of optimal, feasible; got 'maybe'.
    """
    if not isinstance(data, Mapping):
        expected = "a dict made by Result.to_dict()"
        raise InputError([InputProblem("result", "data", expected, _shown(data), kind="file")])
    version = data.get("schema_version", _GONE)
    if not (_is_int(version) and version in READABLE_VERSIONS):
        expected = ", ".join(map(str, READABLE_VERSIONS[:-1])) + f" or {READABLE_VERSIONS[-1]}"
        got = "missing" if version is _GONE else _shown(version)
        raise InputError([InputProblem("result", "schema_version", expected, got, kind="file")])
    r = _Reader()
    r.obj(data, "", _REQUIRED, _OPTIONAL)
    status = data.get("status", _GONE)
    if not (isinstance(status, str) and status in _STATUSES):
        r.bad("status", f"one of {', '.join(_STATUSES)}", status)
    fields = {
        "status": Status(status) if status in _STATUSES else None,
        "method": r.name(data.get("method", _GONE), "method"),
        "matches": r.items(data.get("matches", _GONE), "matches", r.match),
        "unmatched": r.items(data.get("unmatched", _GONE), "unmatched", r.unmatched),
        "objective": r.objective(data.get("objective", _GONE), "objective"),
        "metrics": r.metrics(data.get("metrics", _GONE), "metrics"),
        "timings": r.table(
            data.get("timings", _GONE), "timings", lambda v, p: r.real(v, p, 0), ids=False
        ),
        "certificate": r.optional(data.get("certificate"), "certificate", r.certificate),
        "churn": r.optional(data.get("churn"), "churn", r.churn),
        "stability": r.optional(data.get("stability"), "stability", r.stability),
        "gap": r.optional(data.get("gap"), "gap", lambda v, p: r.real(v, p, 0)),
        "provenance": r.optional(data.get("provenance"), "provenance", r.provenance),
    }
    if r.problems:
        raise InputError(r.problems)
    return fields
