"""Costs given by the user, as exact integers: type and range checked before any cast.

:meth:`~matcher.Graph.from_arrays` and :meth:`~matcher.Graph.from_dense` take
costs from researchers' own arrays. A cast that wraps or rounds silently would
solve another problem (a ``uint64`` of 2**64 - 1 cast to int64 is -1), so the
values are checked on their own dtype first: real numbers only (no complex,
text or booleans), every integer cost within :data:`MAX_INT_COST` in absolute
value, floats finite and, without a resolution, whole.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, InputProblem, short_repr

__all__ = ["MAX_INT_COST", "cost_array"]

IntArray = NDArray[np.int64]

# Costs must stay exact through every solver: |int cost| <= 2**52 keeps them
# exact in float64 too (scipy's linear_sum_assignment).
MAX_INT_COST = 1 << 52


def _integer_costs(
    c_raw: NDArray[Any],
    pri: IntArray,
    resolution: float | None,
    load_penalty: float,
    unmatched_cost: float | None,
) -> tuple[float, IntArray, int, IntArray | None]:
    """The resolution, edge costs, load step and unserved costs in integer units, checked."""
    res = 1.0 if resolution is None else float(resolution)
    if not (np.isfinite(res) and res > 0):
        raise InputError(
            [InputProblem("graph", "resolution", "a finite number > 0", repr(resolution))]
        )
    int_cost = _to_int_costs(c_raw, resolution, "cost")
    load_step = int(_to_int_costs(np.array([load_penalty], float), resolution, "load_penalty")[0])
    if load_step < 0:
        raise InputError(
            [InputProblem("graph", "load_penalty", "a number >= 0", repr(load_penalty))]
        )
    unserved = None
    if unmatched_cost is not None:
        if not (np.isfinite(unmatched_cost) and unmatched_cost >= 0):
            raise InputError(
                [
                    InputProblem(
                        "graph",
                        "unmatched_cost",
                        "a finite number >= 0 or None",
                        repr(unmatched_cost),
                    )
                ]
            )
        unserved = _to_int_costs(unmatched_cost * pri.astype(float), resolution, "unmatched_cost")
    return res, int_cost, load_step, unserved


def _is_int_array(a: ArrayLike) -> bool:
    arr = np.asarray(a)
    return bool(np.issubdtype(arr.dtype, np.integer))


def _to_int_costs(values: NDArray[Any], resolution: float | None, name: str) -> IntArray:
    """Integer costs: ``round(value / resolution)``, exact integers when resolution is None."""
    if np.issubdtype(values.dtype, np.integer) and resolution is None:
        out = values.astype(np.int64)  # cost_array checked the range before any cast
    elif resolution is None:
        if values.size and not np.all(np.abs(values) <= MAX_INT_COST):
            raise InputError(
                [InputProblem("graph", name, f"|integer cost| <= {MAX_INT_COST}", "more")]
            )
        if not np.all(values == np.round(values)):
            raise InputError(
                [
                    InputProblem(
                        "graph",
                        name,
                        "integers when resolution is None (pass resolution=0.001 to round)",
                        "fractional values",
                    )
                ]
            )
        out = values.astype(np.int64)
    else:
        scaled = np.rint(values.astype(np.float64) / resolution)
        if scaled.size and np.abs(scaled).max() > MAX_INT_COST:
            raise InputError(
                [InputProblem("graph", name, f"at most {MAX_INT_COST} units of resolution", "more")]
            )
        out = scaled.astype(np.int64)
    if out.size and np.abs(out).max() > MAX_INT_COST:
        raise InputError([InputProblem("graph", name, f"|integer cost| <= {MAX_INT_COST}", "more")])
    return out


def _refuse(name: str, expected: str, got: Any) -> InputError:
    return InputError([InputProblem("graph", name, expected, short_repr(got), kind="graph")])


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def cost_array(
    raw: ArrayLike, name: str = "cost", *, none_is_missing: bool = False
) -> NDArray[Any]:
    """*raw* as an int64 or float64 array, refusing what is not a real number.

    Integer dtypes (signed or unsigned) and Python ints give int64, after a
    check that every value is within :data:`MAX_INT_COST` (so nothing wraps);
    floating dtypes give float64 (finite-ness is checked by the caller, where
    ``inf`` may mean "no pair"). An object array may hold Python or numpy real
    numbers and, with *none_is_missing*, ``None`` (read as ``inf``: no pair).
    Complex numbers, text, booleans and anything else raise :class:`InputError`.
    """
    a = np.asarray(raw)
    kind = a.dtype.kind
    if kind == "O":
        return _object_costs(a, name, none_is_missing)
    if kind in "iu":
        if a.size and (a.max() > MAX_INT_COST or (kind == "i" and a.min() < -MAX_INT_COST)):
            worst = a.max() if a.max() > MAX_INT_COST else a.min()
            raise _refuse(name, f"integers with |cost| <= {MAX_INT_COST}", int(worst))
        return a.astype(np.int64)
    if kind == "f":
        return a.astype(np.float64)
    raise _refuse(name, "real numbers (integers or floats)", f"an array of {a.dtype}")


def _object_costs(a: NDArray[Any], name: str, none_is_missing: bool) -> NDArray[Any]:
    """An object array's costs: real numbers (and None as no pair), checked one by one."""
    flat = a.ravel()
    for x in flat:
        if x is None and none_is_missing:
            continue
        if not _is_real(x):
            raise _refuse(name, "real numbers (integers or floats)", x)
        if isinstance(x, (int, np.integer)) and abs(int(x)) > MAX_INT_COST:
            raise _refuse(name, f"integers with |cost| <= {MAX_INT_COST}", int(x))
    if all(isinstance(x, (int, np.integer)) for x in flat):
        return np.array([int(x) for x in flat], np.int64).reshape(a.shape)
    return np.array([np.inf if x is None else float(x) for x in flat], np.float64).reshape(a.shape)
