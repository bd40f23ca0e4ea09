"""axe-core on every page of the built site, in light and dark.

The rules: WCAG 2.0 and 2.1 levels A and AA, and axe's best practices (Lighthouse's accessibility
score counts some of them, such as a name for the search dialog). The light visits run them all;
the dark visits run those whose verdict a colour scheme can change: the colour rules (contrast,
links told apart by colour) and the text alternatives, since each scheme shows its own variant of
a figure (`site_fixtures.RUN_AXE`).

axe runs inside each page load of the `page_views` fixture; this file only reads the results.
A serious or critical violation fails; minor and moderate ones are not gated.

axe reads each formula as one run of text (`site_fixtures.RUN_AXE`), which leaves the colours of
its parts and the shortest formulas unjudged; so every formula must also be drawn in the colour of
the text around it, on no background of its own: then its contrast is that text's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hook_modules import load_hook
from phone_checks import SHOW_WHOLE_PAGE
from site_fixtures import ROOT, RUN_AXE, PageView, SchemeViews, report_on_pages

GATED_IMPACTS = {"serious", "critical"}
KATEX_STYLESHEET = ROOT / "docs" / "assets" / "vendor" / "katex" / "katex.min.css"


def test_no_serious_accessibility_violation(node_modules: Path, page_views: SchemeViews) -> None:
    views = list(page_views.values())
    assert views
    assert all(view.axe_violations is not None for view in views), "axe-core did not run"
    violations = {
        view.page: [
            f"{violation['id']} ({violation['impact']}): {violation['help']}; {violation['nodes']}"
            for violation in view.axe_violations or []
            if violation["impact"] in GATED_IMPACTS
        ]
        for view in views
    }
    assert {page: found for page, found in violations.items() if found} == {}


# A page with one violation of each kind the visits must catch: faint text (once in a collapsed
# block, as exercise solutions are), a link told apart from its sentence by a shade only, and
# markup without names (a progress bar, a dialog, an image).
FLAWED_PAGE = (
    '<html lang="en"><head><title>t</title></head><body><main>'
    '<p style="color:#777;background:#888">faint text</p>'
    '<details><summary>Solution</summary><p style="color:#777;background:#888">faint</p></details>'
    '<p style="color:#000">Some words, <a href="#t" style="color:#222;text-decoration:none">'
    "a link</a> among them.</p>"
    '<div role="progressbar"></div><div role="dialog">d</div>'
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    "</main></body></html>"
)
# What a colour scheme can change: colours, and which image shows.
SCHEME_VIOLATIONS = {"color-contrast", "link-in-text-block", "image-alt"}
MARKUP_VIOLATIONS = {"aria-progressbar-name", "aria-dialog-name"}


@pytest.mark.parametrize(
    ("scheme_rules_only", "expected"),
    [
        pytest.param(False, SCHEME_VIOLATIONS | MARKUP_VIOLATIONS, id="light-every-rule"),
        pytest.param(True, SCHEME_VIOLATIONS, id="dark-scheme-rules"),
    ],
)
def test_axe_reports_what_it_should(
    node_modules: Path, browser: Any, scheme_rules_only: bool, expected: set[str]
) -> None:
    """The visits' axe set-up flags what each scheme's visits must catch, and no more."""
    context = browser.new_context()
    tab = context.new_page()
    tab.set_content(FLAWED_PAGE)
    tab.evaluate(SHOW_WHOLE_PAGE)
    tab.add_script_tag(path=str(node_modules / "axe-core" / "axe.min.js"))
    violations = tab.evaluate(RUN_AXE, scheme_rules_only)
    context.close()
    found = {violation["id"] for violation in violations}
    assert expected <= found
    if scheme_rules_only:
        assert found == expected
    (contrast,) = [violation for violation in violations if violation["id"] == "color-contrast"]
    assert any(node.startswith("details") for node in contrast["nodes"]), contrast["nodes"]


def test_axe_judges_a_formula_as_text_and_puts_its_drawing_back(
    node_modules: Path, browser: Any
) -> None:
    """`RUN_AXE` lets axe read each formula as text: a faint formula in a sentence of good
    contrast is flagged, naming its TeX; a formula of several lines that fits its scrolling box
    still fits; one too wide for its box, which no key can scroll, is flagged. The page is left
    as it was, since the phone checks measure it next."""
    render = load_hook("katex").KatexRenderer()
    faint = render("x^2 + y^2 = r^2", display=False).replace(
        'class="katex"', 'class="katex" style="color:#bbb"', 1
    )
    lines = render(
        r"\begin{gathered} a + b = c \\ b + c = d \\ c + d = e \end{gathered}", display=True
    )
    wide = render(r"a + b + c + d + e + f + g + h + i + j + k + l + m + n", display=True)
    scrolling_box = '<div class="arithmatex" id="{}" style="overflow-x: auto; width: 8em">{}</div>'
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.set_content(
            '<html lang="en"><head><title>t</title></head><body><main><h1>Maths</h1>'
            f'<p>Words of good contrast around <span class="arithmatex">{faint}</span>.</p>'
            + scrolling_box.format("fits", lines)
            + scrolling_box.format("too-wide", wide)
            + "</main></body></html>"
        )
        # KaTeX's stylesheet hides the MathML, as on the site, where axe skips it.
        tab.add_style_tag(path=str(KATEX_STYLESHEET))
        tab.add_script_tag(path=str(node_modules / "axe-core" / "axe.min.js"))
        before = tab.content()
        violations = {found["id"]: found["nodes"] for found in tab.evaluate(RUN_AXE, False)}
        after = tab.content()
    finally:
        context.close()
    assert violations.keys() == {"color-contrast", "scrollable-region-focusable"}
    (faint_text,) = violations["color-contrast"]
    where = faint_text.split(": ")[0]
    assert ".formula-as-text" in where and "(in the formula x^2 + y^2 = r^2)" in where, faint_text
    assert [node.split(":")[0] for node in violations["scrollable-region-focusable"]] == [
        "#too-wide"
    ]
    assert after == before


# axe reads each formula as one run of text in the formula's colour (`RUN_AXE`). It does not see
# the colours of the formula's parts, and leaves the shortest formulas undecided (one character
# is too short for it to call text): made faint, 54 of the gradient page's 215 were not flagged. A
# formula in the colour of the text around it, unfaded and on no background of its own, has that
# text's contrast, which axe judges wherever that text has words of its own: this lists every
# formula that is not, with what sets it apart.
FORMULA_COLOURS = r"""
() => {
  const transparent = (colour) => /^(transparent|rgba\(.*,\s*0\))$/.test(colour);
  const painted = (style) =>
    !transparent(style.backgroundColor) || style.backgroundImage !== "none";
  const faded = (style) => style.opacity !== "1" || style.filter !== "none";
  return [...document.querySelectorAll(".katex")].flatMap((formula) => {
    const boxes = [formula];
    let around = formula.parentElement;
    while (around.matches(".arithmatex, .katex-display")) {
      boxes.push(around);
      around = around.parentElement;
    }
    const colour = getComputedStyle(formula).color;
    const parts = [...formula.querySelectorAll(".katex-html *")].map((p) => getComputedStyle(p));
    const found = [];
    if (colour !== getComputedStyle(around).color) found.push("a colour of its own");
    if (boxes.some((box) => painted(getComputedStyle(box)))) found.push("a background of its own");
    if (boxes.some((box) => faded(getComputedStyle(box)))) found.push("faded");
    // What TeX's \color, \textcolor, \colorbox and \fcolorbox leave in KaTeX's output, or a
    // stylesheet's rule for a part.
    if (parts.some((part) => part.color !== colour || painted(part) || faded(part))) {
      found.push("parts of other colours");
    }
    const tex = (formula.querySelector("annotation") || formula).textContent;
    return found.length ? [`${tex}: ${found.join(", ")}`] : [];
  });
}
"""
report_on_pages("formula colours", FORMULA_COLOURS, lambda page: True)


def test_every_formula_has_the_contrast_of_the_text_around_it(page_views: SchemeViews) -> None:
    """Read from every page's visit in each scheme (`page_views`)."""
    assert sum(view.formulas for view in page_views.values()) > 0
    assert page_views.problems(lambda view: view.reports["formula colours"]) == {}


# WCAG 2.2's smallest target is 24 x 24 CSS px, and Lighthouse's accessibility score checks it
# (axe's `target-size`; run over a whole page, 2-3 s on a long one, so not among the visits'
# rules). The sidebars' links are the small targets packed closest together: at 18 px tall, one
# scrolled up against a section's sticky title failed it (docs/stylesheets/extra.css).
SMALLEST_TARGET_PX = 24
SIDEBAR_LINKS = """() => [...document.querySelectorAll(".md-sidebar .md-nav__link")]
  .filter((link) => link.checkVisibility({ visibilityProperty: true, opacityProperty: true }))
  .map((link) => [link.textContent.trim(), link.getBoundingClientRect().height])"""
report_on_pages("sidebar links", SIDEBAR_LINKS, lambda page: True)


@pytest.mark.parametrize("page_views", ["light"], indirect=True)
def test_every_sidebar_link_is_a_target_of_the_smallest_size_or_more(
    page_views: SchemeViews,
) -> None:
    """The navigation and the table of contents, on a desktop, where both are sidebars."""
    links = [link for view in page_views.values() for link in view.reports["sidebar links"]]
    assert len(links) > 10 * len(page_views)  # both sidebars were measured, on every page

    def too_small(view: PageView) -> list[str]:
        return [
            f"{text}: {height:.1f} px tall"
            for text, height in view.reports["sidebar links"]
            if height < SMALLEST_TARGET_PX
        ]

    assert page_views.problems(too_small) == {}


def test_the_formula_check_finds_a_formula_set_apart(browser: Any) -> None:
    """Real KaTeX output: plain; coloured by its TeX; coloured, put on a box, faded or given a
    part of another colour by the page's CSS."""
    render = load_hook("katex").KatexRenderer()
    formulas = [
        ("", render("x^2", display=False)),
        ("", render(r"\color{#aaa}{y}", display=False)),
        ("", render(r"\colorbox{#ff0}{w}", display=False)),
        ("", render("z", display=True).replace('class="katex"', 'class="katex faint"')),
        ("boxed", render("v", display=False)),
        ("", render(r"\mathrm{u}", display=False)),
        ("dim", render("t", display=False)),
    ]
    page = "".join(
        f'<p>Text <span class="arithmatex {box}">{html}</span></p>' for box, html in formulas
    )
    style = (
        ".faint { color: #aaa } .boxed { background: #ff0 } .dim { opacity: 0.5 }"
        " .katex .mathrm { opacity: 0.5 }"
    )
    context = browser.new_context()
    tab = context.new_page()
    tab.set_content(f"<style>{style}</style><main>{page}</main>")
    found = tab.evaluate(FORMULA_COLOURS)
    context.close()
    assert found == [
        "\\color{#aaa}{y}: parts of other colours",
        "\\colorbox{#ff0}{w}: parts of other colours",
        "z: a colour of its own",
        "v: a background of its own",
        "\\mathrm{u}: parts of other colours",
        "t: faded",
    ]
