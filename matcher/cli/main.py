"""The ``matcher`` command's entry point: parse, run, map errors to exit codes.

Exit codes: 0 success, 1 internal error, 2 bad input (every problem listed on
stderr; nothing written), 3 verification failed (``matcher verify``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import InputError, MatcherError, MissingDependency, UnsupportedProblem
from .commands import _run
from .parser import _parser

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except InputError as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 2
    except UnsupportedProblem as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 2
    except MissingDependency as exc:  # an extra is not installed: the message says how
        print(f"matcher: {exc}", file=sys.stderr)
        return 2
    except MatcherError as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (``matcher ... | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
