"""Sphinx configuration of the sklearn-lstmae documentation.

Build from the repository root:
``sphinx-build -W --keep-going -b html docs docs/_build/html``.
The gallery runs every script in ``examples/`` in quick mode
(``SKLEARN_LSTMAE_EXAMPLES_QUICK=1``, set below unless the environment sets
it; ``SKLEARN_LSTMAE_EXAMPLES_QUICK=0`` runs them in full).
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

# The examples read this variable: a few beats and epochs each.
os.environ.setdefault("SKLEARN_LSTMAE_EXAMPLES_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402
from docutils import nodes  # noqa: E402

import sklearn_lstmae  # noqa: E402

# One torch thread: the examples' models are small, and on a shared CI
# machine a pool of threads waiting for each other costs far more than it
# gives (10 to 30 times longer on a busy 2-core machine).
torch.set_num_threads(1)

project = "sklearn-lstmae"
author = "sklearn-lstmae developers"
copyright = "sklearn-lstmae developers"
release = version = sklearn_lstmae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "benchmark_figures",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    # Included piecewise by the user guide pages, not pages of their own.
    "user_guide.md",
    "features.md",
    "distributed.md",
    # Written by sphinx-gallery for each example; not pages.
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/_output",
]

# -- API reference ----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"member-order": "groupwise"}
numpydoc_show_class_members = False  # the class template lists them
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Markdown ---------------------------------------------------------------
myst_enable_extensions = ["colon_fence"]

# -- Gallery ----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Every script in examples/ runs (they are short in quick mode).
    "filename_pattern": r"\.py$",
    "within_subsection_order": "gallery_hooks.ExampleOrder",
    # The examples write their figures as PNG files (--output); these hooks
    # give each one a fresh folder and show what it wrote.
    "reset_argv": "gallery_hooks.output_argv",
    "image_scrapers": ("gallery_hooks.png_scraper",),
    "reset_modules": ("matplotlib",),
    "doc_module": ("sklearn_lstmae",),
    "backreferences_dir": "generated/backreferences",
    "show_memory": False,
    "min_reported_time": 1,
    "remove_config_comments": True,
    "download_all_examples": False,
}

# -- Benchmarks page ----------------------------------------------------------
# docs/_ext/benchmark_figures.py draws these from ../BENCHMARKS.md.
benchmark_figures_source = "../BENCHMARKS.md"
benchmark_figures_dir = "benchmark_figures"

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-lstmae {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False

# The page's table of contents names methods without their class.
toc_object_entries_show_parents = "hide"
# Pages without sub-pages do not need the left navigation column.
# The comparison table of guide/features needs the width too.
html_sidebars = {"index": [], "benchmarks": [], "guide/features": []}

# Pages whose tables are wide: the article takes the whole width there
# (_static/custom.css).
WIDE_TABLE_PAGES = {"benchmarks", "guide/features"}


def _mark_wide_tables(app, doctree, docname):
    if docname in WIDE_TABLE_PAGES:
        for table in doctree.findall(nodes.table):
            table["classes"].append("wide-table")


def setup(app):
    app.connect("doctree-resolved", _mark_wide_tables)
