"""MkDocs hook: let the browser skip rendering a page's sections until the reader nears them.

A chapter carries thousands of elements of typeset maths and highlighted code. Styling and
laying all of them out before the first paint, and again each time Material's script touches
the layout while it starts, is what makes a chapter slow on a phone. The hook wraps the content
that follows each top-level ``<h2>`` and ``<h3>`` in ``<section class="md-deferred">``; the
stylesheet gives those sections ``content-visibility: auto``, so the browser renders only the
ones near the viewport. Nothing else changes: the text is in the page, find-in-page and screen
readers reach it, and a section is rendered as soon as it scrolls near, is focused or is printed.

The headings stay outside the sections, so anchors and the table of contents see them at once:
Material's table of contents reads the position of every heading it lists when the page starts,
and reading the position of a heading inside a deferred section would make the browser render
that section there and then. The content before the first ``<h2>`` (what a reader sees first) is
never deferred, nor are the API reference pages (see `on_page_content`); and the stylesheet
renders the first section at once, since it starts on or near the first screen.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from mkdocs.structure.pages import Page

SECTION_OPEN = '<section class="md-deferred">'
SECTION_CLOSE = "</section>"
# The headings the table of contents lists (the pages use no deeper level).
SECTION_HEADINGS = frozenset({"h2", "h3"})

# Elements without an end tag: they never change the nesting depth.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)


class _TopLevelBlocks(HTMLParser):
    """Finds where each top-level ``<h2>`` or ``<h3>`` starts and ends, as offsets into the HTML."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._line_starts = [0]
        for line in text.splitlines(keepends=True):
            self._line_starts.append(self._line_starts[-1] + len(line))
        self.depth = 0
        self.headings: list[tuple[int, int]] = []  # (start of <hN>, end of </hN>)

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        if tag in SECTION_HEADINGS and self.depth == 0:
            self.headings.append((self._offset(), -1))
        self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        self.depth -= 1
        if tag in SECTION_HEADINGS and self.depth == 0 and self.headings:
            start, _ = self.headings[-1]
            self.headings[-1] = (start, self._offset() + len(f"</{tag}>"))


def defer_sections(content: str) -> str:
    """Wrap the blocks after each top-level ``<h2>`` or ``<h3>`` in a deferred section.

    >>> html = defer_sections("<p>a</p><h2>B</h2><p>b</p><h3>C</h3><p>c</p>")
    >>> print(html.replace("</section>", "</section>\\n"), end="")
    <p>a</p><h2>B</h2><section class="md-deferred"><p>b</p></section>
    <h3>C</h3><section class="md-deferred"><p>c</p></section>

    A heading nested in another block (an admonition, say) does not start a section, and a
    heading with nothing after it gets no empty section:

    >>> defer_sections('<div><h2>X</h2><p>x</p></div><h2>Y</h2><h3>Z</h3>')
    '<div><h2>X</h2><p>x</p></div><h2>Y</h2><h3>Z</h3>'
    """
    parser = _TopLevelBlocks(content)
    parser.feed(content)
    parser.close()
    headings = [(start, end) for start, end in parser.headings if end > start]
    if not headings:
        return content
    pieces = [content[: headings[0][0]]]
    for index, (start, end) in enumerate(headings):
        next_start = headings[index + 1][0] if index + 1 < len(headings) else len(content)
        body = content[end:next_start]
        pieces.append(content[start:end])
        pieces.append(f"{SECTION_OPEN}{body}{SECTION_CLOSE}" if body.strip() else body)
    return "".join(pieces)


def on_page_content(html: str, page: Page, **kwargs: Any) -> str:
    # mkdocstrings nests its blocks several levels deep, and their margins collapse through all
    # of them into the next heading's; a section edge would stop that and move the text.
    if 'class="doc doc-' in html:
        return html
    return defer_sections(html)
