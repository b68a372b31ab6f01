"""Sphinx configuration of npflow's documentation site (built by ``python -m sphinx -W -b html
docs docs/_build/html``; see docs/README.md for why Sphinx and how the pages are made)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, os.path.join(HERE, "_ext")]

import npflow  # noqa: E402

project = "npflow"
author = "the npflow developers"
copyright = "npflow's developers, BSD-3-Clause"
release = version = npflow.__version__

extensions = [
    "myst_parser",            # the guides are Markdown, and include README/RESULTS sections
    "sphinx.ext.autodoc",     # the API reference, from the docstrings
    "sphinx.ext.napoleon",    # npflow's docstrings' NumPy-style sections
    "sphinx.ext.mathjax",
    "npflow_docs",            # generated pages: reference, coverage, examples (docs/_ext)
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "README.md"]
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing"]  # (README's links to files outside docs/)

autodoc_typehints = "none"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
add_module_names = False

html_theme = "pydata_sphinx_theme"
html_title = f"npflow {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "guides/*": [], "architecture": [], "generated/coverage": []}
html_show_sourcelink = False
