"""What a page shows on a phone, 390 x 844 CSS pixels (an iPhone 12 to 15), measured in one visit.

`site_fixtures` sees every page of the site once on a phone, at the end of the page's dark visit
(the window narrowed to a phone's, touch on), and measures what two test files check:

- tests/test_phone_layout.py: no display formula wider than its column, no code line ending
  under Material's copy button, no page scrolling sideways;
- tests/test_deferred_sections.py: deferring the sections below the first screen moves nothing.

Every section is rendered and every collapsed block (<details>) opened first, as a reader who
scrolled through the page and opened the solutions sees it, after the fonts of what they show:
a formula's width and a line's position depend on KaTeX's fonts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PHONE = {"width": 390, "height": 844}

# Show the whole page, as a reader who scrolled through it and opened every collapsed block
# (exercise solutions, code that checks a derivation) saw it; axe judges only what is shown.
# The browser renders a section below the first screen only when it nears the viewport
# (hooks/sections.py, `content-visibility: auto`), and axe cannot judge the colours of a section
# the browser does not paint (it reported 1.3:1 for a deferred summary). The resize event makes
# wide-blocks.js measure the formulas of the sections it has not seen rendered, as it does when
# they come into view.
SHOW_WHOLE_PAGE = """
() => {
  const rendered = document.createElement("style");
  rendered.textContent = ".md-typeset .md-deferred { content-visibility: visible }";
  document.head.append(rendered);
  document.querySelectorAll("details").forEach((block) => { block.open = true; });
  window.dispatchEvent(new Event("resize"));
}
"""

# The whole page shown (`SHOW_WHOLE_PAGE`), then every code block given its buttons: Material
# gives a block its buttons when it first scrolls into view (`content.lazy`), so the page is
# scrolled past every block, as a reader's would be. Then the fonts of what they show must
# arrive: a font landing between two measurements moves text. Returns how many code blocks never
# got their buttons.
SHOW_ALL = (
    "async () => {\n  ("
    + SHOW_WHOLE_PAGE.strip()
    + ")();\n"
    + """
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const blocks = [...document.querySelectorAll(".highlight pre")];
  for (const pre of blocks) {
    pre.scrollIntoView();
    for (let wait = 0; wait < 20 && !pre.querySelector(":scope > .md-code__nav"); wait++) {
      await frame();
    }
  }
  scrollTo(0, 0);
  const fontsArrive = async () => {
    await document.fonts.ready;
    await document.fonts.load("1em KaTeX_Main");
    while (document.fonts.status !== "loaded") {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  // A font that never arrives fails the visit, saying so, instead of holding it forever.
  const late = new Promise((_, reject) => setTimeout(
    () => reject(new Error("the page's fonts were still loading after 20 s")), 20000));
  await Promise.race([fontsArrive(), late]);
  return blocks.filter((pre) => !pre.querySelector(":scope > .md-code__nav")).length;
}
"""
)

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

# Headings whose permalink (¶) takes a line of its own, below the heading's last line of text.
# It is invisible until hovered, so the reader sees an empty line under the heading.
LONE_PERMALINKS = r"""
() => [...document.querySelectorAll("article :is(h1, h2, h3, h4, h5, h6) > .headerlink")]
  .filter((link) => {
    const own = link.getClientRects();
    if (own.length === 0) return false;
    const text = document.createRange();
    text.setStart(link.parentElement, 0);
    text.setEndBefore(link);
    const lines = [...text.getClientRects()].filter((rect) => rect.width > 0);
    return lines.length > 0 && own[0].top >= Math.max(...lines.map((rect) => rect.bottom)) - 1;
  })
  .map((link) => link.parentElement.textContent.replace(/\s+/g, " ").trim().slice(0, 60))
"""

# Where each block of the article is: its top from the top of the page, and its left edge.
_BLOCKS = (
    "article :is(h1, h2, h3, h4, p, li, div.arithmatex, div.highlight, .admonition, details,"
    " table, img)"
)
POSITIONS = f"""() => [...document.querySelectorAll({_BLOCKS!r})].map((element) => {{
  const box = element.getBoundingClientRect();
  return [element.tagName + (element.id ? '#' + element.id : '') + ' «'
          + element.textContent.trim().slice(0, 40) + '»', box.top + scrollY, box.left];
}})"""

# The page as it would be without hooks/sections.py: each section replaced by its content.
UNWRAP_SECTIONS = """() => document.querySelectorAll('section.md-deferred')
  .forEach((section) => section.replaceWith(...section.childNodes))"""


@dataclass
class PhoneView:
    """What one page showed on a phone, every section rendered and every block open."""

    page: str
    # Code blocks that never got Material's buttons, though the page was scrolled past them.
    blocks_without_buttons: int = 0
    # Display formulas wider than their box: ``{"tex", "width", "room"}`` each.
    wide_formulas: list[dict[str, Any]] = field(default_factory=list)
    # The longest line of each code block whose end hides under the copy button.
    covered_code: list[str] = field(default_factory=list)
    page_width: int = 0
    # Headings whose invisible permalink sits on a line of its own (`LONE_PERMALINKS`).
    lone_permalinks: list[str] = field(default_factory=list)
    # The first block that is elsewhere once the sections are removed, or "".
    moved: str = ""


def first_moved(deferred: list[Any], plain: list[Any]) -> str:
    """The first block whose position differs by more than half a pixel, or ``""``."""
    if len(deferred) != len(plain):
        return f"{len(deferred)} blocks with the sections, {len(plain)} without"
    for (name, top, left), (_, plain_top, plain_left) in zip(deferred, plain, strict=True):
        if abs(top - plain_top) > 0.5 or abs(left - plain_left) > 0.5:
            return f"{name} moved by {top - plain_top:+.1f} px down"
    return ""


async def measure_on_phone(tab: Any, page: str) -> PhoneView:
    """Measure everything at once on ``page``, loaded in ``tab`` (a phone's window, touch on).

    The sections are removed last: every other measurement sees the page as the site serves it.
    """
    view = PhoneView(
        page,
        blocks_without_buttons=await tab.evaluate(SHOW_ALL),
        wide_formulas=await tab.evaluate(WIDE_FORMULAS),
        covered_code=await tab.evaluate(COVERED_CODE),
        page_width=await tab.evaluate(PAGE_WIDTH),
        lone_permalinks=await tab.evaluate(LONE_PERMALINKS),
    )
    deferred = await tab.evaluate(POSITIONS)
    await tab.evaluate(UNWRAP_SECTIONS)
    view.moved = first_moved(deferred, await tab.evaluate(POSITIONS))
    return view
