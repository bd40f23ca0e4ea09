"""How the doc pages and docstrings are run as tests (Sybil), shared by the conftest and tests.

Sybil collects a fence only when its info string is exactly ``python``; anything else
(``py``, ``python title="x"``) is silently ignored, so ``test_docs_fences.py`` guards that.
"""

from __future__ import annotations

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE
from pathlib import Path
from typing import Any

from derivation_blocks import parse_derivation_blocks
from sybil import Sybil
from sybil.evaluators.doctest import NUMBER
from sybil.parsers import markdown, rest

# NUMBER compares floats to the precision written on the page, so `0.333` matches 1/3.
OPTION_FLAGS = NUMBER | ELLIPSIS | NORMALIZE_WHITESPACE


def _setup(namespace: dict[str, Any]) -> None:
    import numpy as np

    # Pages print NumPy arrays; one fixed print style keeps their output stable.
    namespace["_saved_print_options"] = np.get_printoptions()
    np.set_printoptions(precision=8, suppress=False)


def _teardown(namespace: dict[str, Any]) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    np.set_printoptions(**namespace["_saved_print_options"])
    plt.close("all")


def docs_sybil(root: Path) -> Sybil:
    """Every ``python`` block of every page under ``root/docs``, one namespace per page."""
    return Sybil(
        parsers=[
            markdown.PythonCodeBlockParser(doctest_optionflags=OPTION_FLAGS),
            markdown.SkipParser(),
            markdown.ClearNamespaceParser(),
            # The math shown for a derivation must equal the verified Derivation's LaTeX.
            parse_derivation_blocks,
        ],
        path=str(root / "docs"),
        # `docs/**/*.md` misses `docs/index.md` on Python 3.11: match names, not paths.
        patterns=["*.md"],
        setup=_setup,
        teardown=_teardown,
        name="docs",
    )


def docstring_sybil(root: Path, folder: str = "src") -> Sybil:
    """Every ``>>>`` example in the docstrings of the Python files under ``root/folder``."""
    return Sybil(
        parsers=[rest.DocTestParser(optionflags=OPTION_FLAGS), rest.SkipParser()],
        path=str(root / folder),
        patterns=["*.py"],
        setup=_setup,
        teardown=_teardown,
        name="docstrings" if folder == "src" else f"{folder}-docstrings",
    )
