"""MkDocs hook: render every formula to HTML at build time with the vendored KaTeX.

A reader's browser then runs no maths JavaScript: formulas are there on the first paint, the
page does not shift when they appear, and no KaTeX script is downloaded. KaTeX itself
(``docs/assets/vendor/katex/katex.min.js``) runs in V8 through the ``mini-racer`` wheel, so the
build needs no Node.js. Only its stylesheet and fonts reach the reader.

What is rendered, in each page's final HTML (after the search plugin has indexed the page, so
the index holds the short TeX source, not KaTeX's markup):

- ``pymdownx.arithmatex`` (generic mode) output: ``\\(...\\)`` in ``span.arithmatex`` and
  ``\\[...\\]`` in ``div.arithmatex``;
- on notebook pages, ``$...$`` and ``$$...$$`` left as text in Markdown cells by mkdocs-jupyter;
- ``\\(...\\)`` left in navigation and table-of-contents links by a heading with maths.

A formula KaTeX cannot parse fails the build, naming the page, the line and KaTeX's message.
``render_page_math`` is a plain function, usable outside MkDocs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
KATEX_JS = ROOT / "docs" / "assets" / "vendor" / "katex" / "katex.min.js"

# Same options the site used in the browser; `output` keeps MathML for screen readers.
KATEX_OPTIONS = {"throwOnError": True, "strict": "ignore", "output": "htmlAndMathml"}

_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<source>.*?)</(?P=tag)>', flags=re.DOTALL
)
# Text between tags, outside code, scripts, styles and the document's <head>.
_SKIPPED_ELEMENT = re.compile(
    r"<(?P<tag>pre|code|script|style|head|textarea)\b.*?</(?P=tag)>|<[^>]*>",
    flags=re.DOTALL | re.IGNORECASE,
)
_DOLLAR_MATH = re.compile(
    # An inline formula may wrap onto the next line of its paragraph, as in any Markdown.
    r"\$\$(?P<display>[^$]+?)\$\$|(?<![\\$])\$(?P<inline>[^$]+?)(?<!\\)\$"
)
_PAREN_MATH = re.compile(r"\\\((?P<inline>.+?)\\\)", flags=re.DOTALL)


class MathError(ValueError):
    """KaTeX could not parse a formula."""

    def __init__(self, tex: str, message: str) -> None:
        super().__init__(message)
        self.tex = tex


class KatexRenderer:
    """Render TeX to KaTeX's HTML, remembering each formula it has seen (pages repeat many)."""

    def __init__(self, script: Path = KATEX_JS) -> None:
        # Imported here so importing the module (e.g. to read its docs) needs no V8.
        from py_mini_racer import MiniRacer

        self._context = MiniRacer()
        self._context.eval(script.read_text(encoding="utf-8"))
        self._rendered: dict[tuple[str, bool], str] = {}

    def __call__(self, tex: str, *, display: bool) -> str:
        key = (tex, display)
        if key not in self._rendered:
            self._rendered[key] = self._render(tex, display)
        return self._rendered[key]

    def _render(self, tex: str, display: bool) -> str:
        from py_mini_racer import JSEvalException

        options = {**KATEX_OPTIONS, "displayMode": display}
        try:
            rendered = self._context.call("katex.renderToString", tex, options)
        except JSEvalException as error:
            raise MathError(tex, _katex_message(str(error))) from None
        return str(rendered)


def _katex_message(error: str) -> str:
    # V8's message starts with the JS location and ends with a stack trace: keep KaTeX's line.
    for line in error.splitlines():
        if "KaTeX parse error" in line:
            return line[line.index("KaTeX parse error") :]
    return error.splitlines()[0] if error else "unknown KaTeX error"


Render = Callable[..., str]


def render_page_math(page_html: str, render: Render, *, dollar_delimiters: bool) -> str:
    """Return ``page_html`` with every formula rendered by ``render(tex, display=...)``.

    ``dollar_delimiters`` also renders ``$...$`` and ``$$...$$`` in text (notebook pages, whose
    Markdown cells are not processed by arithmatex). Text inside ``pre``, ``code``, ``script``
    and ``style`` is never touched.
    """
    page_html = _ARITHMATEX.sub(lambda match: _render_arithmatex(match, render), page_html)
    patterns = [_PAREN_MATH, _DOLLAR_MATH] if dollar_delimiters else [_PAREN_MATH]
    return _map_text(page_html, lambda text: _render_delimited(text, patterns, render))


def _render_arithmatex(match: re.Match[str], render: Render) -> str:
    source = html.unescape(match.group("source")).strip()
    display = match.group("tag") == "div"
    opening, closing = ("\\[", "\\]") if display else ("\\(", "\\)")
    tex = source.removeprefix(opening).removesuffix(closing)
    tag = match.group("tag")
    return f'<{tag} class="arithmatex">{render(tex, display=display)}</{tag}>'


def _map_text(page_html: str, transform: Callable[[str], str]) -> str:
    """Apply ``transform`` to each run of text between tags, skipping code and scripts."""
    pieces: list[str] = []
    position = 0
    for element in _SKIPPED_ELEMENT.finditer(page_html):
        pieces.append(transform(page_html[position : element.start()]))
        pieces.append(element.group(0))
        position = element.end()
    pieces.append(transform(page_html[position:]))
    return "".join(pieces)


def _render_delimited(text: str, patterns: list[re.Pattern[str]], render: Render) -> str:
    if "$" not in text and "\\(" not in text:
        return text
    for pattern in patterns:
        text = pattern.sub(lambda match: _render_match(match, render), text)
    return text


def _render_match(match: re.Match[str], render: Render) -> str:
    display = match.groupdict().get("display") is not None
    tex = html.unescape(match.group("display") if display else match.group("inline")).strip()
    element = "div" if display else "span"
    return f'<{element} class="arithmatex">{render(tex, display=display)}</{element}>'


@cache
def _renderer() -> KatexRenderer:
    return KatexRenderer()


def on_post_page(output: str, page: Page, config: MkDocsConfig, **kwargs: Any) -> str:
    notebook = page.file.src_uri.endswith(".ipynb")
    try:
        return render_page_math(output, _renderer(), dollar_delimiters=notebook)
    except MathError as error:
        where = f"docs/{page.file.src_uri}{_line_of(page, error.tex)}"
        raise PluginError(f"{where}: KaTeX cannot render `{error.tex}`: {error}") from None


def _line_of(page: Page, tex: str) -> str:
    """``:LINE`` of the first line of the page's source holding ``tex``, if it can be found."""
    source = page.file.content_string if page.file.abs_src_path else ""
    first_line = tex.strip().splitlines()[0] if tex.strip() else ""
    for number, line in enumerate(source.splitlines(), start=1):
        if first_line and first_line in line:
            return f":{number}"
    return ""
