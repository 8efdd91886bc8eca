"""The independent parts solved on an executor, and what a lost worker means.

A worker can die in the middle of a part: the kernel's out-of-memory killer, a
crash in a native solver, an operator or a cluster pre-empting it. The plan
is then not made: :func:`run_parts` raises a :class:`~matcher.SolverError`
that says what happened and what to do, and never returns a partial plan.

It does not retry, on purpose:

- a dask cluster already retries a task whose worker died, on another worker
  (``distributed.scheduler.allowed-failures`` times, 3 by default), and
  raises ``KilledWorker`` only when that failed too: trying again here would
  repeat what the user configured;
- a ``concurrent.futures.ProcessPoolExecutor`` whose worker died is broken
  for good (every later ``submit`` raises ``BrokenProcessPool``). Retrying
  would need a pool of matcher's own, with processes, memory and settings
  (start method, initializer) the caller did not choose; and a part that
  killed its worker (out of memory, a crash) would most likely kill the next
  one too. The caller's executor is never shut down, replaced or mended here.

The caller decides: solve again on a new executor (the plan does not depend
on it, so it is the same plan), or without one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, CancelledError
from typing import Any

from ..errors import SolverError

__all__ = ["pool_of", "run_parts"]

_AGAIN = "solve again on a new executor, or without one (executor=None)"


def pool_of(executor: Any) -> Any:
    """The ``concurrent.futures`` executor to submit to: *executor*, or a dask client's.

    A dask ``Client`` gives ``get_executor(pure=False)``: every solve submits
    tasks of its own. With dask's default (pure tasks, named by their
    arguments), a part whose workers died would keep its failure under the
    same name, and solving again on the same client would fail again.
    """
    if executor is None or not hasattr(executor, "get_executor"):
        return executor
    return executor.get_executor(pure=False)


def run_parts(
    pool: Any, task: Callable[..., Any], name: str, parts: Sequence[Any], options: dict[str, Any]
) -> list[Any]:
    """``[task(name, part, options) for part in parts]``, each part submitted to *pool*.

    Raises
    ------
    SolverError
        A worker died (or the executor was broken or cancelled the work) before
        every part was solved; the parts not yet finished are cancelled.
    """
    futures: list[Any] = []
    outs: list[Any] = []
    try:
        try:
            for part in parts:
                futures.append(pool.submit(task, name, part, options))
        except BrokenExecutor as exc:
            raise SolverError(_broken_before(exc, len(parts))) from exc
        for k, future in enumerate(futures):
            try:
                outs.append(future.result())
            except (BrokenExecutor, CancelledError) as exc:
                raise SolverError(_lost(exc, k, len(parts))) from exc
            except Exception as exc:
                if not _is_killed_worker(exc):
                    raise
                raise SolverError(_lost(exc, k, len(parts))) from exc
    finally:
        if len(outs) < len(futures):  # failed or interrupted: stop the work left
            for future in futures:
                future.cancel()
    return outs


def _is_killed_worker(exc: BaseException) -> bool:
    """Whether *exc* is dask's ``KilledWorker``, known by name (the core never imports dask)."""
    return any(
        c.__name__ == "KilledWorker" and c.__module__.startswith("distributed")
        for c in type(exc).__mro__
    )


def _what(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".")
    return type(exc).__name__ + (f": {text}" if text else "")


def _lost(exc: BaseException, k: int, n: int) -> str:
    """The message of part *k* (0-based) of *n* lost with its worker."""
    where = f"part {k + 1} of {n}"
    if isinstance(exc, CancelledError):
        return (
            f"{where} was cancelled in the executor (was it shut down or restarted, or its "
            f"client disconnected?); the plan was not made. To get it, {_AGAIN}."
        )
    if isinstance(exc, BrokenExecutor):
        return (
            f"a worker process died while solving {where}; the plan was not made "
            f"({_what(exc)}). A process pool whose worker died takes no more work, and "
            f"matcher neither shuts it down nor retries on a pool of its own: {_AGAIN}. "
            "A worker that dies again and again is often out of memory."
        )
    return (
        f"a dask worker died while solving {where}; the plan was not made ({_what(exc)}). "
        "dask gave up on the part after the workers running it died "
        "(distributed.scheduler.allowed-failures): look at the workers' memory and logs, "
        f"then {_AGAIN}."
    )


def _broken_before(exc: BaseException, n: int) -> str:
    return (
        f"the executor is broken and takes no more work ({_what(exc)}), so none of the {n} "
        "parts was solved; the plan was not made. A process pool is broken for good once one "
        f"of its workers died (here, or in earlier work): {_AGAIN}."
    )
