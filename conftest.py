"""Run every ``python`` block in ``docs/`` and every docstring example in ``src/`` and ``hooks/``.

The Sybil set-up lives in ``tests/doc_examples.py`` (``tests`` is on ``pythonpath``) so that
tests can reuse it on sample pages.
"""

import os
from pathlib import Path

import matplotlib
from doc_examples import docs_sybil, docstring_sybil
from hypothesis import settings
from sybil.sybil import SybilCollection

# Figures are built headless, in tests and doc examples alike.
matplotlib.use("Agg")

ROOT = Path(__file__).parent

# On CI, property tests draw the same examples on every run, so a red run is reproducible and
# main cannot turn red by chance; locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

pytest_collect_file = SybilCollection(
    [docs_sybil(ROOT), docstring_sybil(ROOT), docstring_sybil(ROOT, "hooks")]
).pytest()

# `pytester` proves that a broken page fails; `site_fixtures` builds and serves the site.
pytest_plugins = ["pytester", "site_fixtures"]
