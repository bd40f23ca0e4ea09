"""Sections rendered only when the reader nears them (hooks/sections.py, content-visibility).

Deferring must be invisible: nothing moves, anchors land on their heading, focus rings are not
clipped, and wide formulas still take keyboard focus once their section is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hook_modules import load_hook
from phone_checks import PHONE, PhoneView
from site_fixtures import DESKTOP, BuiltSite, site_pages

hook = load_hook("sections")
SECTION_OPEN = hook.SECTION_OPEN
_SECTION_TAGS = re.compile(r'<section class="md-deferred">|</section>')


# --- The hook ------------------------------------------------------------------------------------


def test_content_after_each_top_level_heading_is_wrapped() -> None:
    page = (
        '<p>Intro <a href="#b">b</a></p>\n<h2 id="b">B</h2>\n<p>b<br>b</p>\n<h3>B.1</h3>\n'
        '<div class="admonition"><h2>nested</h2><p>x</p></div>\n<h2 id="c">C</h2>\n<p>c</p>\n'
    )
    deferred = hook.defer_sections(page)
    # Every top-level heading stays outside the sections; the nested <h2> stays inside one.
    before, *sections = deferred.split(SECTION_OPEN)
    assert before == '<p>Intro <a href="#b">b</a></p>\n<h2 id="b">B</h2>'
    assert sections == [
        "\n<p>b<br>b</p>\n</section><h3>B.1</h3>",
        '\n<div class="admonition"><h2>nested</h2><p>x</p></div>\n</section><h2 id="c">C</h2>',
        "\n<p>c</p>\n</section>",
    ]
    assert _SECTION_TAGS.sub("", deferred) == page


def test_a_page_without_top_level_headings_is_unchanged() -> None:
    page = '<div class="jupyter-wrapper"><h2>Cell heading</h2><p>text</p></div>'
    assert hook.defer_sections(page) == page
    assert hook.defer_sections("") == ""


def _built_pages(built_site: BuiltSite) -> dict[str, str]:
    """``{page: HTML}`` for every page of the build."""
    return {page: built_site.html(page) for page in site_pages(built_site.directory)}


def test_every_section_follows_a_heading_and_api_pages_have_none(built_site: BuiltSite) -> None:
    pages = _built_pages(built_site)
    wrapped = {page for page, text in pages.items() if SECTION_OPEN in text}
    for page in wrapped:
        after_heading = len(re.findall(r"</h[23]>" + re.escape(SECTION_OPEN), pages[page]))
        assert pages[page].count(SECTION_OPEN) == after_heading, page
    assert not {page for page in wrapped if page.startswith("api/")}
    assert len(wrapped) >= 10  # the chapters, at least


# --- In the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE)
    tab = context.new_page()
    yield tab
    context.close()


def _pages_with_sections(built_site: BuiltSite) -> list[str]:
    return [page for page, text in _built_pages(built_site).items() if SECTION_OPEN in text]


def test_deferring_moves_nothing(built_site: BuiltSite, phone_views: dict[str, PhoneView]) -> None:
    """Every block is where it would be without the sections, to the pixel, on a phone.

    Measured in each page's phone visit (tests/phone_checks.py): every section rendered, every
    block open and their fonts loaded, then again once the sections are removed.
    """
    pages = _pages_with_sections(built_site)
    moved = {page: phone_views[page].moved for page in pages if phone_views[page].moved}
    assert len(pages) >= 10
    assert moved == {}


def test_sections_below_the_first_screen_wait_until_the_reader_nears_them(
    built_site: BuiltSite, phone: Any
) -> None:
    phone.goto(built_site.url + "derivatives/derivative-1d/", wait_until="load")
    rendered = (
        "(section) => section.firstElementChild.checkVisibility({contentVisibilityAuto: true})"
    )
    last = phone.locator("section.md-deferred").last
    assert last.evaluate(rendered) is False
    last.scroll_into_view_if_needed()
    phone.wait_for_function(
        f"({rendered})([...document.querySelectorAll('section.md-deferred')].at(-1))"
    )


# The headings a load reported as moved (buffered: shifts from before this script ran too).
MOVED_HEADINGS = """() => {
  const observer = new PerformanceObserver(() => {});
  observer.observe({ type: "layout-shift", buffered: true });
  const sources = observer.takeRecords().flatMap((shift) => shift.sources);
  observer.disconnect();
  return sources.map((source) => source.node)
    .filter((node) => node && /^H[1-6]$/.test(node.nodeName))
    .map((node) => node.id);
}"""
FIRST_SECTION_TOP = (
    "() => document.querySelector('section.md-deferred').getBoundingClientRect().top"
)


def test_a_section_starting_on_the_first_screen_moves_nothing_as_the_page_loads(
    built_site: BuiltSite, browser: Any
) -> None:
    """The references page starts its first section on a desktop's first screen. Deferred, it
    was laid out at its estimated height, then at its own, and Chromium reported the heading
    after it as moved into view (a layout shift of 0.014); rendered at once, nothing moves."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        tab = context.new_page()
        tab.goto(built_site.url + "references/", wait_until="load")
        moved, first_section_top = tab.evaluate(MOVED_HEADINGS), tab.evaluate(FIRST_SECTION_TOP)
    finally:
        context.close()
    assert first_section_top < DESKTOP["height"]
    assert moved == []


def test_an_anchor_far_down_the_page_lands_on_its_heading(
    built_site: BuiltSite, phone: Any
) -> None:
    """A reader follows a link from another page to the last heading of a long page."""
    phone.goto(built_site.url + "multivariable/gradient/", wait_until="load")
    last_heading = phone.locator("article h2[id]").last
    anchor = last_heading.get_attribute("id")
    phone.goto(built_site.url, wait_until="load")
    phone.goto(built_site.url + f"multivariable/gradient/#{anchor}", wait_until="load")
    # The sections around the target render once the browser has scrolled there, and the
    # browser keeps the heading in place: on a busy machine that takes a few frames. The
    # reader must end up with the heading just under the header, whenever that is.
    phone.evaluate(WAIT_UNTIL_LANDED, anchor)
    header = phone.locator("header.md-header").bounding_box()
    box = last_heading.bounding_box()
    assert header is not None and box is not None
    assert header["height"] - 1 <= box["y"] <= header["height"] + 60, (anchor, box, header)


# Waits, for up to 5 s, until the heading with this id sits just under Material's header: at
# most 60 px below it (the heading's own top margin), never under it. The test then measures.
WAIT_UNTIL_LANDED = """async (id) => {
  const landed = () => {
    const top = document.getElementById(id).getBoundingClientRect().top;
    const header = document.querySelector("header.md-header").getBoundingClientRect().height;
    return header - 1 <= top && top <= header + 60;
  };
  const deadline = performance.now() + 5000;
  while (!landed() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}"""


def test_a_focus_ring_fits_inside_its_section(built_site: BuiltSite, phone: Any) -> None:
    """content-visibility clips painting to the section's padding box: a ring must fit in it."""
    phone.goto(built_site.url + "derivatives/derivative-1d/", wait_until="load")
    link = phone.locator("section.md-deferred p a[href]").first
    link.scroll_into_view_if_needed()
    phone.keyboard.press("Tab")  # keyboard modality, so :focus-visible applies to the link
    link.focus()
    ring, padding = link.evaluate(
        """(a) => {
          const style = getComputedStyle(a);
          const section = getComputedStyle(a.closest('section.md-deferred'));
          return [parseFloat(style.outlineWidth) + parseFloat(style.outlineOffset),
                  Math.min(...['Top', 'Right', 'Bottom', 'Left'].map(
                    (side) => parseFloat(section['padding' + side])))];
        }"""
    )
    assert ring > 0, "the link shows no focus ring"
    assert ring <= padding


_FIRST_DEFERRED_FORMULA = """() => [...document.querySelectorAll(
  'section.md-deferred > div.arithmatex')].find(
  (element) => !element.checkVisibility({contentVisibilityAuto: true})) || null"""


def test_a_wide_formula_takes_focus_once_its_section_renders(
    built_site: BuiltSite, phone: Any
) -> None:
    """wide-blocks.js measures formulas in a deferred section when the browser renders it."""
    for page in _pages_with_sections(built_site):
        phone.goto(built_site.url + page, wait_until="load")
        wide = phone.evaluate_handle(_FIRST_DEFERRED_FORMULA).as_element()
        if wide is not None:
            break
    else:
        pytest.fail("no page has a display formula in a section not rendered on load")
    # Make the formula wider than any phone while its section is not rendered.
    wide.evaluate("(element) => element.querySelector('.katex-display').style.minWidth = '2000px'")
    assert wide.get_attribute("tabindex") is None
    wide.scroll_into_view_if_needed()
    phone.wait_for_function("(element) => element.tabIndex === 0", arg=wide, timeout=5000)
    # Every rendered formula has a tab stop exactly when it overflows.
    stops = phone.evaluate(
        """() => [...document.querySelectorAll('article div.arithmatex')]
          .filter((element) => element.checkVisibility({contentVisibilityAuto: true}))
          .map((element) => [element.scrollWidth > element.clientWidth, element.tabIndex === 0])"""
    )
    assert stops and all(overflows == focusable for overflows, focusable in stops)
