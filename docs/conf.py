"""Sphinx configuration of the matcher documentation.

Build (from the repository root, no network needed)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The pages are MyST markdown (myst_parser); the API reference is generated from the
docstrings (autosummary + numpydoc) into ``reference/generated/`` at every build
(git-ignored). Nothing is downloaded: no intersphinx, no remote images.
"""

import inspect
import re
from importlib.metadata import version as _version
from pathlib import Path

project = "matcher"
author = "the matcher developers"
copyright = "the matcher developers"
# The installed distribution's version: conf.py does not import matcher itself.
release = _version("volunteer-matcher")  # the distribution's name (import matcher)
version = release

extensions = [
    "myst_parser",  # the pages are MyST markdown
    "sphinx.ext.autodoc",  # the reference reads the docstrings
    "sphinx.ext.autosummary",  # ... and generates one page per public name
    "numpydoc",  # the docstrings are numpydoc
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}  # .rst: generated stubs
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates"]

# MyST: anchors for headings down to ### (links such as synthetic.md#command-line).
myst_heading_anchors = 3

# The reference: stubs generated at build time (reference/generated/, git-ignored).
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
autodoc_member_order = "bysource"

# numpydoc: members are listed by the autosummary class template, not a second time.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_title = f"matcher {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []


def _drop_type_docstrings(app, what, name, obj, options, lines):
    """Leave out the docstring of a constant's type (``int``, ``tuple``, ...).

    A module constant with no docstring of its own (``MAX_RECORDS``) would show the
    docstring of ``int``; its page shows its value instead, and the module page says
    what it means.
    """
    own = getattr(type(obj), "__doc__", None)
    if not isinstance(own, str):  # a type whose __doc__ is a slot (a LazyTuple's fields)
        return
    if what in ("data", "attribute") and own and lines:
        if "\n".join(lines).strip() == inspect.cleandoc(own).strip():
            lines.clear()


# The repository's root files included here, and their pages: a link between them
# (CONTRIBUTING.md -> ARCHITECTURE.md, right on GitHub) must point at the page instead.
ROOT_PAGES = {
    "README.md": "index.md",
    "ARCHITECTURE.md": "architecture.md",
    "CONTRIBUTING.md": "contributing.md",
}


def _root_links(app, relative_path, parent_docname, content):
    """Rewrite the links of an included root file (``../X.md``) to the pages of this site."""
    if Path(relative_path).parent != Path(".."):
        return
    text = content[0]
    for name, page in ROOT_PAGES.items():
        text = re.sub(rf"\]\({re.escape(name)}(?=[)#])", f"]({page}", text)
    content[0] = re.sub(r"\]\(docs/", "](", text)  # docs/x.md is x.md here


def setup(app):
    """Connect the docstring filter (before numpydoc, priority 500) and the link rewriter."""
    app.connect("autodoc-process-docstring", _drop_type_docstrings, priority=100)
    app.connect("include-read", _root_links)
