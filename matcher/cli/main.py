"""The ``matcher`` command's entry point: parse, run, map errors to exit codes.

Exit codes: 0 success, 1 internal error, 2 bad input (every problem listed on
stderr; nothing written) or a file that cannot be written (a full disk: the
file keeps its old content), 3 verification failed (``matcher verify``), 130
interrupted (Ctrl-C), 143 stopped by SIGTERM while writing. Whatever stops
it, no file is left half-written and no temporary file stays behind.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import InputError, MatcherError, MissingDependency, UnsupportedProblem
from ..io.write import Terminated
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
    except KeyboardInterrupt:
        print(
            "matcher: interrupted; no file was left half-written (a file being written "
            "keeps its old content)",
            file=sys.stderr,
        )
        return 130
    except Terminated as exc:
        print(
            f"matcher: stopped by SIGTERM while writing {str(exc.target)!r}; it keeps its "
            "old content, and no temporary file was left",
            file=sys.stderr,
        )
        return 143


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
