"""Sybil parser: the math a page shows for a derivation is the math the code verified.

A page builds a `calcref.symbolic.Derivation` in a ``python`` block (every step is verified as it
is added), then shows it as math with a marker naming the variable:

    <!-- derivation: d -->
    $$
    \\begin{aligned}
    ...
    \\end{aligned}
    $$

This parser turns each marker into an example that fails unless the ``$$`` block right after it
equals ``d.latex()`` (whitespace aside). The page keeps one copy of the math, rendered by KaTeX,
and it cannot drift from the verified derivation: change a step and the page fails, printing the
LaTeX to paste.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sybil import Document, Example, Region

# Alone on its line, so prose that quotes the marker in backticks is not taken for one.
MARKER = re.compile(r"^[ \t]*<!--\s*derivation:\s*(?P<name>[^\s>]*)\s*-->[ \t]*$", re.MULTILINE)
# The display math must follow the marker, with only blank lines (and an indent) in between.
MATH_AFTER_MARKER = re.compile(r"\s*\$\$(?P<math>.*?)\$\$", re.DOTALL)
NAME = re.compile(r"[A-Za-z_]\w*")


def _normalise(latex: str) -> str:
    return " ".join(latex.split())


def _evaluator(name: str, math: str | None, line: int) -> Any:
    def evaluate(example: Example) -> str | None:
        where = f"<!-- derivation: {name} --> (line {line})"
        if not NAME.fullmatch(name):
            return f"{where}: the marker must name a Python variable holding a Derivation."
        if math is None:
            return f"{where} must be followed by a $$ ... $$ block."
        derivation = example.namespace.get(name)
        if derivation is None or not callable(getattr(derivation, "latex", None)):
            return (
                f"{where}: no Derivation named {name!r} is defined by the python blocks above it."
            )
        expected = derivation.latex()
        if _normalise(math) != _normalise(expected):
            return (
                f"{where}: the math on the page is not {name}.latex(), the verified "
                f"derivation. Replace the $$ block with:\n$$\n{expected}\n$$"
            )
        return None

    return evaluate


def parse_derivation_blocks(document: Document) -> Iterable[Region]:
    """One example per ``<!-- derivation: NAME -->`` marker of `document`."""
    for marker in MARKER.finditer(document.text):
        line = document.text.count("\n", 0, marker.start()) + 1
        after = MATH_AFTER_MARKER.match(document.text, marker.end())
        math = after.group("math") if after else None
        end = after.end() if after else marker.end()
        yield Region(marker.start(), end, None, _evaluator(marker.group("name"), math, line))
