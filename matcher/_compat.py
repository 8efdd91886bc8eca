"""One-release aliases for the names that moved when the package took its layered layout.

Each alias works as before and warns with a :class:`DeprecationWarning` naming the
new place; they will be removed in the release after 0.2. They live here, above
every layer (``matcher/__init__`` imports this module last), so that no layer
has to import upward to offer them:

- the modules ``matcher.api``, ``matcher.planner``, ``matcher.gap_analysis``,
  ``matcher.frames``, ``matcher.plots``, ``matcher.families`` and ``matcher.bench``
  (see :data:`MOVED_MODULES`);
- the methods ``Result.verify(problem)`` (now :func:`matcher.verify`),
  ``Result.to_frame(problem)`` (now :func:`matcher.io.result_to_frame`) and the
  class method ``Problem.from_frames(volunteers, needs)`` (now
  :func:`matcher.io.problem_from_frames`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any

from .io.frames import problem_from_frames, result_to_frame
from .model import Policy, Problem
from .result import Result
from .verify import Violation, verify

__all__ = ["MOVED_MODULES"]

MOVED_MODULES: dict[str, tuple[str, ...]] = {
    "matcher.api": ("matcher.planning.solving",),
    "matcher.planner": ("matcher.planning.planner",),
    "matcher.gap_analysis": ("matcher.planning.gap_analysis", "matcher.planning.gap_types"),
    "matcher.frames": ("matcher.io.frames",),
    "matcher.plots": ("matcher.report.plots",),
    "matcher.families": ("matcher.synthetic.families",),
    "matcher.bench": ("matcher.cli.bench",),
}
"""Old module -> the modules its public names now live in (the first is the new home)."""


def _warn(message: str) -> None:
    # Attribute the warning to the first frame outside this module and the import
    # machinery, so that Python's default filters show it in the user's own code.
    # `warnings` counts stack levels over frames outside importlib's bootstrap only.
    def internal(f: types.FrameType) -> bool:
        name = f.f_code.co_filename
        return "importlib" in name and "_bootstrap" in name

    level, frame = 2, sys._getframe(1)
    while frame.f_back is not None and (frame.f_code.co_filename == __file__ or internal(frame)):
        frame = frame.f_back
        if not internal(frame):
            level += 1
    warnings.warn(message, DeprecationWarning, stacklevel=level)


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``matcher.api`` and the other moved modules; loads each as its new module's names."""

    def find_spec(
        self, fullname: str, path: Any, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED_MODULES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        homes = [importlib.import_module(m) for m in MOVED_MODULES[spec.name]]
        alias = types.ModuleType(spec.name, f"Deprecated alias of {homes[0].__name__}.")
        for home in homes:
            for name in getattr(home, "__all__", ()):
                setattr(alias, name, getattr(home, name))
        alias.__all__ = sorted({n for h in homes for n in getattr(h, "__all__", ())})  # type: ignore[attr-defined]
        return alias

    def exec_module(self, module: types.ModuleType) -> None:
        new = MOVED_MODULES[module.__name__][0]
        _warn(
            f"{module.__name__} is deprecated and will be removed in the next release; "
            f"import from {new} instead"
        )


def moved_module(name: str) -> types.ModuleType:
    """``matcher.<name>`` for a moved module (used by ``matcher.__getattr__``)."""
    return importlib.import_module(f"matcher.{name}")


def _result_verify(self: Result, problem: Problem) -> list[Violation]:
    """Deprecated: use ``matcher.verify(problem, result)``."""
    _warn(
        "Result.verify(problem) is deprecated and will be removed in the next release; "
        "use matcher.verify(problem, result)"
    )
    return verify(problem, self)


def _result_to_frame(self: Result, problem: Problem | None = None, which: str = "plan") -> Any:
    """Deprecated: use ``matcher.io.result_to_frame(result, problem, which)``."""
    _warn(
        "Result.to_frame() is deprecated and will be removed in the next release; "
        "use matcher.io.result_to_frame(result, problem, which)"
    )
    return result_to_frame(self, problem, which)


def _problem_from_frames(
    cls: type[Problem], volunteers: Any, needs: Any, policy: Policy | None = None, **kwargs: Any
) -> Problem:
    """Deprecated: use ``matcher.io.problem_from_frames(volunteers, needs, policy)``."""
    _warn(
        "Problem.from_frames() is deprecated and will be removed in the next release; "
        "use matcher.io.problem_from_frames(volunteers, needs, policy)"
    )
    return problem_from_frames(volunteers, needs, policy, **kwargs)


def install() -> None:
    """Attach the deprecated methods and the finder of moved modules (idempotent)."""
    setattr(Result, "verify", _result_verify)  # noqa: B010 (attached, not defined: see module notes)
    setattr(Result, "to_frame", _result_to_frame)  # noqa: B010
    setattr(Problem, "from_frames", classmethod(_problem_from_frames))  # noqa: B010
    if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedModuleFinder())
