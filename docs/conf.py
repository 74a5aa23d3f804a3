"""Sphinx configuration of the convmath documentation site.

Build it with ``python -m sphinx -W -b html docs OUT`` (``pip install -e '.[docs]'``
installs the toolchain: Sphinx, numpydoc, MyST). The guides are Markdown (MyST);
the API reference is generated from the numpydoc docstrings.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document this tree, installed or not

import convmath  # noqa: E402

project = "convmath"
author = "the convmath authors"
copyright = "the convmath authors, MIT licence"  # noqa: A001
release = version = convmath.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# MyST: $...$ and $$...$$ maths, ::: fences, {include} of SECURITY.md, heading anchors for links.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference: one page per module, generated from the docstrings (docs/_templates/autosummary/module.rst:
# the three top-level packages list their modules only, since convmath re-exports what its modules define).
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_title = f"convmath {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "The arithmetic of convolutional layers: stated, computed, taught and graded.",
    "fixed_sidebar": True,
}


def _skip_type_aliases(app, what, name, obj, skip, options):  # noqa: ANN001, ANN202 - Sphinx's event signature
    """Leave type aliases (``Key = tuple[...]``) out of the reference: they have no signature to show."""
    import typing

    if typing.get_origin(obj) is not None and not isinstance(obj, type):
        return True
    return None


def setup(app):  # noqa: ANN001, ANN201
    app.connect("autodoc-skip-member", _skip_type_aliases)
