"""Every docstring example of the installed package runs (numpydoc Examples are tests)."""

import doctest
import importlib
import pkgutil

import pytest

import matcher

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(matcher.__path__, prefix="matcher.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", ["matcher", *MODULES])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert failures == 0


def test_public_api_has_docstrings_with_examples():
    missing = [
        name
        for name in matcher.__all__
        if name != "__version__"
        and callable(getattr(matcher, name))
        and "Examples\n" not in (getattr(matcher, name).__doc__ or "")
    ]
    assert missing == []
