"""Every page of the built site on a phone, 390 x 844 CSS pixels (an iPhone 12 to 15).

Two things a reader on a phone should never meet:

- a display formula wider than the column it sits in, which then scrolls sideways inside its
  own box, so the reader sees half an equation;
- the end of a code line hidden under Material's copy button (top right of every code block),
  even when the block is scrolled all the way to the right.

One browser context, one tab, each page loaded once, after its fonts: a formula's width depends
on KaTeX's fonts. Pages are found by walking the build, so a new page is covered without an edit.
"""

from __future__ import annotations

from typing import Any

import pytest
from site_fixtures import BuiltSite, site_pages

PHONE = {"width": 390, "height": 844}

# Wide formulas left on pages this change did not edit (the numerics page and the workbooks had
# other owners at the time). Each entry is one formula, by its page and the start of its TeX,
# never a whole page: any other wide formula fails. Break these lines, then delete the entry.
KNOWN_WIDE: dict[str, set[str]] = {
    "notebooks/derivative-3d/": {r"f(x_0 + h, y_0 + k) = f(x_0, y_0) + f_x\,h + f_y\,k"},
    "notebooks/directional-derivative/": {r"(D_{\mathbf v} f)(\mathbf x_0) = \lim_{t \to 0}"},
}

# For each display formula: the TeX it renders (KaTeX keeps it in an <annotation>), how wide it
# is and how wide the box that holds it is. On a phone Material lets `div.arithmatex` run to the
# screen's edges and pads the formula inside it; anything wider scrolls. Notebook cells hold
# KaTeX output without that div: their box is the formula's parent.
WIDE_FORMULAS = r"""
() => [...document.querySelectorAll(".katex-display")].map((formula) => {
  const box = formula.closest("div.arithmatex") || formula.parentElement;
  const tex = formula.querySelector("annotation");
  return {
    tex: (tex ? tex.textContent : formula.textContent).replace(/\s+/g, " ").trim(),
    width: Math.max(box.scrollWidth, formula.scrollWidth),
    room: box.clientWidth,
  };
}).filter((formula) => formula.width > formula.room + 1)
"""

# For each code block with Material's buttons showing: scroll it all the way right, then find
# the text that sits under the buttons. Each line's end must be readable at some scroll position;
# at the rightmost one, every line that reaches the buttons' column is at its end. (Buttons faded
# out, as they are at rest where a pointer can hover, hide nothing: tests/test_code_buttons.py.)
COVERED_CODE = r"""
() => [...document.querySelectorAll(".highlight pre")].flatMap((pre) => {
  const nav = pre.querySelector(":scope > .md-code__nav");
  const code = pre.querySelector(":scope > code");
  if (!nav || !code || nav.getClientRects().length === 0) return [];
  if (getComputedStyle(nav).opacity === "0") return [];
  code.scrollLeft = code.scrollWidth;
  const buttons = nav.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(code);
  const covered = [...range.getClientRects()].some((rect) =>
    rect.width > 0 && rect.right > buttons.left + 0.5 &&
    rect.top < buttons.bottom && rect.bottom > buttons.top);
  const longest = code.innerText.split("\n").reduce((a, b) => (b.length > a.length ? b : a));
  code.scrollLeft = 0;
  return covered ? [longest] : [];
})
"""

PAGE_WIDTH = "() => document.scrollingElement.scrollWidth"

# Exercise solutions and code that checks a derivation sit in collapsed blocks (<details>): a
# reader opens them, so the checks see them open, after the fonts of what they show. Material
# gives a code block its buttons when the block first scrolls into view (`content.lazy`), so
# the page is scrolled past every block, as a reader's would be, until every block has them;
# the sections a reader has scrolled through stay rendered (hooks/sections.py).
OPEN_ALL = """
async () => {
  document.querySelectorAll("details").forEach((block) => { block.open = true; });
  const rendered = document.createElement("style");
  rendered.textContent = ".md-typeset .md-deferred { content-visibility: visible }";
  document.head.append(rendered);
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const blocks = [...document.querySelectorAll(".highlight pre")];
  for (const pre of blocks) {
    pre.scrollIntoView();
    for (let wait = 0; wait < 20 && !pre.querySelector(":scope > .md-code__nav"); wait++) {
      await frame();
    }
  }
  scrollTo(0, 0);
  await document.fonts.ready;
  return blocks.filter((pre) => !pre.querySelector(":scope > .md-code__nav")).length;
}
"""


def _load(tab: Any, url: str) -> None:
    tab.goto(url, wait_until="load")
    without_buttons = tab.evaluate(OPEN_ALL)
    assert without_buttons == 0, f"{url}: {without_buttons} code blocks never got their buttons"


def _look(tab: Any, url: str) -> dict[str, Any]:
    _load(tab, url)
    return {
        "wide": tab.evaluate(WIDE_FORMULAS),
        "covered": tab.evaluate(COVERED_CODE),
        "page_width": tab.evaluate(PAGE_WIDTH),
    }


@pytest.fixture(scope="module")
def phone_views(built_site: BuiltSite, browser: Any) -> dict[str, dict[str, Any]]:
    """What each page shows at phone width: ``{page: findings}``."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, has_touch=True)
    tab = context.new_page()
    try:
        return {
            page: _look(tab, built_site.url + page) for page in site_pages(built_site.directory)
        }
    finally:
        context.close()


def _is_known(page: str, tex: str) -> bool:
    return any(tex.startswith(start) for start in KNOWN_WIDE.get(page, ()))


def test_no_display_formula_is_wider_than_a_phone(phone_views: dict[str, dict[str, Any]]) -> None:
    too_wide = {
        page: [
            f"{formula['width']} px in {formula['room']} px: {formula['tex'][:100]}"
            for formula in seen["wide"]
            if not _is_known(page, formula["tex"])
        ]
        for page, seen in phone_views.items()
    }
    assert {page: found for page, found in too_wide.items() if found} == {}
    # The check sees formulas: the course has display maths on nearly every page.
    assert len(phone_views) > 10


def test_no_code_line_ends_under_the_copy_button(
    phone_views: dict[str, dict[str, Any]],
) -> None:
    covered = {page: seen["covered"] for page, seen in phone_views.items() if seen["covered"]}
    assert covered == {}


def test_no_page_scrolls_sideways(phone_views: dict[str, dict[str, Any]]) -> None:
    wider = {
        page: seen["page_width"]
        for page, seen in phone_views.items()
        if seen["page_width"] > PHONE["width"]
    }
    assert wider == {}


def test_the_checks_see_a_wide_formula_and_a_covered_line(
    built_site: BuiltSite, browser: Any
) -> None:
    """On a real page, widen a formula and drop the code padding: both checks must flag it."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, has_touch=True)
    tab = context.new_page()
    _load(tab, built_site.url + "second-order/second-derivative/")
    assert tab.evaluate(WIDE_FORMULAS) == []
    assert tab.evaluate(COVERED_CODE) == []
    tab.evaluate(
        """() => {
             const html = document.querySelector("div.arithmatex .katex-html");
             html.innerHTML = html.innerHTML.repeat(4);
             const code = document.querySelector(".highlight pre > code");
             code.style.paddingRight = "0";
             code.prepend("x".repeat(200) + "\\n");
           }"""
    )
    wide = tab.evaluate(WIDE_FORMULAS)
    covered = tab.evaluate(COVERED_CODE)
    context.close()
    assert len(wide) == 1
    assert covered == ["x" * 200]
