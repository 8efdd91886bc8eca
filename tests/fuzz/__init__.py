"""Fuzzing matcher's readers and its solve / verify path (issue 15).

- :mod:`tests.fuzz.targets`: one function per target, taking bytes;
- :mod:`tests.fuzz.inputs`: Hypothesis strategies over bytes (mutated corpus files,
  structure-aware documents) for the bounded run in ``tests/test_fuzz.py``;
- :mod:`tests.fuzz.run`: the long coverage-guided campaign with atheris
  (``python -m tests.fuzz.run TARGET --execs N``);
- ``corpus/<target>/``: the seeds; ``crashes/<target>/``: inputs that broke the
  contract once, each with a ``.txt`` line saying what it broke (replayed by the suite).

This package imports nothing at import time, so that ``run.py`` can instrument
matcher before the targets import it.
"""
