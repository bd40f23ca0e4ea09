"""Run every ``python`` block in ``docs/`` and every docstring example in ``src/calcref``.

The Sybil set-up lives in ``tests/doc_examples.py`` (``tests`` is on ``pythonpath``) so that
tests can reuse it on sample pages.
"""

from pathlib import Path

import matplotlib
from doc_examples import docs_sybil, docstring_sybil

# Figures are built headless, in tests and doc examples alike.
matplotlib.use("Agg")

ROOT = Path(__file__).parent

pytest_collect_file = (docs_sybil(ROOT) + docstring_sybil(ROOT)).pytest()

# `pytester` proves that a broken page fails; `site_fixtures` builds and serves the site.
pytest_plugins = ["pytester", "site_fixtures"]
