"""The ``matcher`` command line (the outermost layer).

- :mod:`~matcher.cli.main`: :func:`main`, the entry point and its exit codes;
- :mod:`~matcher.cli.parser`: the arguments of every command;
- :mod:`~matcher.cli.commands`: what each command does;
- :mod:`~matcher.cli.summary`: what is printed (text and ``--json``);
- :mod:`~matcher.cli.bench`: the small benchmark behind ``matcher bench``.
"""

from .commands import demo_paths, write_demo_files
from .main import main
from .summary import format_summary

__all__ = ["demo_paths", "format_summary", "main", "write_demo_files"]
