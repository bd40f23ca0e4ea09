"""Material's copy button never hides the end of a code line from a reader (extra.css).

The button floats over the top right of a code block. With a mouse or a trackpad it shows
while the pointer is over the block or the button has keyboard focus, so at rest it covers no
text; on a touch screen it always shows, and the code is padded so that a line scrolled to its
end stops beside it. tests/test_phone_layout.py checks every page at phone width.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from phone_checks import COVERED_CODE, SHOW_ALL
from site_fixtures import BuiltSite

PAGE = "derivatives/derivative-1d/"
LONG_LINE = "x" * 200

# Put a line that reaches the buttons at the top of the page's first code block, scroll it
# into view and leave the pointer away from it.
ADD_LONG_LINE = """(line) => {
  const pre = document.querySelector(".highlight pre");
  pre.querySelector(":scope > code").prepend(line + "\\n");
  pre.scrollIntoView({ block: "center" });
  return pre.querySelector(":scope > .md-code__nav") !== null;
}"""

NAV_OPACITY = """() => Number(getComputedStyle(
  document.querySelector(".highlight pre > .md-code__nav")).opacity)"""


@pytest.fixture
def open_page(built_site: BuiltSite, browser: Any) -> Iterator[Any]:
    """Open ``PAGE`` in a new context with the given options, its code blocks' buttons mounted."""
    contexts: list[Any] = []

    def open_with(**options: Any) -> Any:
        context = browser.new_context(**options)
        contexts.append(context)
        tab = context.new_page()
        tab.goto(built_site.url + PAGE, wait_until="load")
        assert tab.evaluate(SHOW_ALL) == 0
        return tab

    yield open_with
    for context in contexts:
        context.close()


def _settled_opacity(tab: Any) -> float:
    tab.wait_for_timeout(400)  # Material fades the buttons in 0.25 s
    opacity: float = tab.evaluate(NAV_OPACITY)
    return opacity


def test_with_a_mouse_the_buttons_show_only_when_wanted(open_page: Any) -> None:
    tab = open_page(viewport={"width": 1280, "height": 800})
    assert tab.evaluate(ADD_LONG_LINE, LONG_LINE)
    tab.mouse.move(0, 0)
    assert _settled_opacity(tab) == 0
    # Over nothing visible, the line's end is readable.
    assert tab.evaluate(COVERED_CODE) == []
    tab.hover(".highlight pre")
    assert _settled_opacity(tab) == 1
    tab.mouse.move(0, 0)
    assert _settled_opacity(tab) == 0
    tab.focus(".highlight pre .md-code__button")
    assert _settled_opacity(tab) == 1


def test_on_a_touch_screen_the_buttons_show_and_long_lines_end_beside_them(
    open_page: Any,
) -> None:
    tab = open_page(viewport={"width": 1024, "height": 768}, has_touch=True)
    assert tab.evaluate(ADD_LONG_LINE, LONG_LINE)
    assert _settled_opacity(tab) == 1
    assert tab.evaluate(COVERED_CODE) == []
    # The check sees a covered line: without the padding, the long line ends under them.
    tab.evaluate(
        "() => { document.querySelector('.highlight pre > code').style.paddingRight = '0'; }"
    )
    assert tab.evaluate(COVERED_CODE) == [LONG_LINE]
