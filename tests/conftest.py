"""Shared test configuration: Hypothesis profiles and an importable ``tests/``.

Profiles, chosen with the environment variable ``HYPOTHESIS_PROFILE``:

``ci`` (default)
    Sized so the property modules (``test_properties.py``, ``test_metamorphic.py``)
    run in about 4-5 minutes on a 2-core machine, with at least 2,000 tiny problems
    checked against brute force per exact method, 500 medium ones against the MILP
    and a few hundred examples per metamorphic property (counts in the docstrings
    of those modules); ``derandomize=True`` so every run draws the same examples
    (reproducible CI), no example database, no deadline.
``dev``
    A handful of examples per test, for a quick edit-test loop.
``thorough``
    Many examples, for a long hunt (``HYPOTHESIS_PROFILE=thorough pytest tests``).

Tests scale their own number of examples from the profile's ``max_examples``
(``strategies.budget``): expensive oracles take a fraction of it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:  # so that ``import reference`` / ``import strategies`` work
    sys.path.insert(0, _TESTS)

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "ci",
    max_examples=700,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_QUIET,
)
settings.register_profile(
    "dev",
    max_examples=10,
    deadline=None,
    print_blob=True,
    suppress_health_check=_QUIET,
)
settings.register_profile(
    "thorough",
    max_examples=5000,
    deadline=None,
    print_blob=True,
    suppress_health_check=_QUIET,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
