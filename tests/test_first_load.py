"""What the browser has to redo when Material's script starts on a page (overrides/, hooks/).

Each change to the root element's classes, or to an attribute that a `[attr] *` rule reads on
the body, makes the browser restyle every element of the page. On a chapter that is thousands
of elements of typeset maths, in the script's first task, which a phone feels as a freeze.
The page sets the root's classes Material would set, before the body is parsed, and the one
`[attr] *` rule, which reads the attribute Material's palette toggles as it starts, is dropped
at build time (hooks/palette_switch.py). These tests read Chromium's own trace of style
invalidations to check that Material's start no longer restyles the page for either, and that
the page still ends in the state Material meant.

Likewise a script that reads the size or position of anything inside a section the browser
has deferred (hooks/sections.py) makes it lay that section out there and then: Material's
table of contents reads every heading's position and its code blocks read their widths, so
the headings stay outside the sections and code blocks mount when they scroll into view.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import material
import pytest
from hook_modules import load_hook
from phone_checks import PHONE
from site_fixtures import BuiltSite

palette_switch = load_hook("palette_switch")

INVALIDATION_TRACKING = "disabled-by-default-devtools.timeline.invalidationTracking"
# With the script's stack on each event: a section laid out because a script asked is told
# apart from one laid out because it came near the viewport.
TRACE = ["devtools.timeline", INVALIDATION_TRACKING, "disabled-by-default-devtools.timeline.stack"]
# Chromium drops trace events when its tracing service falls behind a busy renderer: 1 load in
# 70 lost the change a control makes, with both cores busy (as the suite keeps them). So a
# control that looks for an event is given up to three traces to find it in. A lost event can
# only make the checks themselves pass, not fail; they take one trace, and may miss a regression
# in that one run.
TRACE_ATTEMPTS = 3

Result = TypeVar("Result")


def _trace(
    browser: Any,
    traced: Callable[[Any], Result],
    viewport: dict[str, int] | None = None,
    untraced: Callable[[Any], object] = lambda tab: None,
) -> tuple[list[dict[str, Any]], Result]:
    """Chromium's trace of ``traced(tab)`` in a new tab, after ``untraced(tab)``; and its
    result."""
    context = browser.new_context(viewport=viewport)
    tab = context.new_page()
    try:
        untraced(tab)
        browser.start_tracing(page=tab, categories=TRACE)
        try:
            result = traced(tab)
        finally:
            # The browser serves the whole session: a trace left running fails every later one.
            trace = browser.stop_tracing()
    finally:
        context.close()
    events: list[dict[str, Any]] = json.loads(trace)["traceEvents"]
    return events, result


def _retaken_until_found(take: Callable[[], Result], found: Callable[[Result], bool]) -> Result:
    """The first of up to `TRACE_ATTEMPTS` calls of ``take()`` whose result ``found`` accepts,
    else the last."""
    for _ in range(TRACE_ATTEMPTS - 1):
        result = take()
        if found(result):
            return result
    return take()


# A chapter, and the longest page of typeset maths; on a phone, where most sections start below
# the screen.
TRACED_PAGES = ("derivatives/derivative-1d/", "multivariable/gradient/")


@pytest.fixture(scope="module")
def traced_starts(
    built_site: BuiltSite, browser: Any
) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]]:
    """``{page: _trace_start(...)}`` for each of `TRACED_PAGES`: one traced load serves the
    tests of restyles and of deferred sections."""
    return {page: _trace_start(browser, built_site.url + page, PHONE) for page in TRACED_PAGES}


def _trace_start(
    browser: Any, url: str, viewport: dict[str, int] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """What Chromium traced while ``url`` loaded and Material started: the style invalidations
    scheduled, the deferred sections scripts made it lay out, and the page's state after."""

    def start(tab: Any) -> dict[str, Any]:
        tab.goto(url, wait_until="load")
        tab.wait_for_function("() => !document.body.hasAttribute('data-md-color-switching')")
        # The table of contents measures its headings once the page's size is known.
        tab.evaluate("() => new Promise((resolve) => setTimeout(resolve, 500))")
        state: dict[str, Any] = tab.evaluate(
            """() => ({
              rootClasses: [...document.documentElement.classList],
              focusVisible: document.documentElement.hasAttribute('data-js-focus-visible'),
            })"""
        )
        return state

    events, state = _trace(browser, start, viewport)
    scheduled = [
        event["args"]["data"]
        for event in events
        if event.get("name") == "ScheduleStyleInvalidationTracking"
        and "data" in event.get("args", {})
    ]
    return scheduled, _sections_forced_by_scripts(events), state


def _sections_forced_by_scripts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deferred sections a script made Chromium render (a `DisplayLock` restyle with a stack)."""
    return [
        event["args"]["data"]
        for event in events
        if event.get("name") == "StyleRecalcInvalidationTracking"
        and event.get("args", {}).get("data", {}).get("reason") == "DisplayLock"
        and event["args"]["data"].get("stackTrace")
    ]


def _is_root_class_change(data: dict[str, Any]) -> bool:
    return data.get("nodeName", "").startswith("HTML") and (
        data.get("changedAttribute") == "class" or "changedClass" in data
    )


# The statements of the page's head script (overrides/main.html) that set the root's classes.
HEAD_CLASS_STATEMENTS = ('classList.replace("no-js", "js")', 'classList.add("js-focus-visible")')


def _whole_page_restyles(scheduled: list[dict[str, Any]], url: str, html: str) -> list[Any]:
    """The root class changes in ``scheduled`` (traced while ``url`` loaded; ``html`` is its
    HTML) but those the head script's own statements made.

    Those run before the body is parsed. Chromium traces them only if it styled the head first,
    which it does when it gets the chance (once in a few busy runs): that restyles the head, a
    few dozen elements, and is not what these tests look for. The trace names the page line
    (1-based) of each change's statement; anything else, even a listener the head defines, counts.
    """
    head = html[: html.index("<body")]
    head_lines = {head[: head.index(code)].count("\n") + 1 for code in HEAD_CLASS_STATEMENTS}
    return [
        data
        for data in scheduled
        if _is_root_class_change(data) and _made_at(data) not in {(url, n) for n in head_lines}
    ]


def _made_at(data: dict[str, Any]) -> tuple[str, int]:
    """The script and line that made a traced change."""
    made_by = (data.get("stackTrace") or [{}])[0]
    return made_by.get("url", ""), made_by.get("lineNumber", 0)


@pytest.mark.parametrize("page", TRACED_PAGES)
def test_material_starts_without_restyling_the_whole_page(
    traced_starts: dict[str, Any], built_site: BuiltSite, page: str
) -> None:
    scheduled, _, state = traced_starts[page]
    url = built_site.url + page
    assert _whole_page_restyles(scheduled, url, built_site.html(page)) == []
    # The state Material's script leaves: `js`, not `no-js`; the focus-visible polyfill active.
    assert "js" in state["rootClasses"] and "no-js" not in state["rootClasses"]
    assert "js-focus-visible" in state["rootClasses"] and state["focusVisible"]


# The page the controls (the tests that show a check can fail) edit and trace: the home page, the
# smallest with deferred sections. Tracing invalidations costs in proportion to the elements,
# and a chapter has ten times its elements.
CONTROL_PAGE = ""

# Styles the root element then and there, as Chromium does when it gets the chance.
STYLE_THE_ROOT = "<script>getComputedStyle(document.documentElement).color;</script>"


def _trace_edited_load(
    browser: Any, site: BuiltSite, insert_at: Callable[[str], int], snippet: str
) -> tuple[list[dict[str, Any]], str, str]:
    """The style invalidations scheduled while `CONTROL_PAGE` loads with ``snippet`` inserted in
    its HTML at ``insert_at(html)``, on the same line so that the page's lines keep their
    numbers; and the page's URL and unedited HTML."""
    url, html = site.url + CONTROL_PAGE, site.html(CONTROL_PAGE)
    at = insert_at(html)
    edited = html[:at] + snippet + html[at:]
    events, _ = _trace(
        browser,
        lambda tab: tab.goto(url, wait_until="load"),
        untraced=lambda tab: tab.route(
            url, lambda route: route.fulfill(body=edited, content_type="text/html")
        ),
    )
    scheduled = [
        event["args"]["data"]
        for event in events
        if event.get("name") == "ScheduleStyleInvalidationTracking"
        and "data" in event.get("args", {})
    ]
    return scheduled, url, html


def _trace_root_changes(
    browser: Any, site: BuiltSite, insert_at: Callable[[str], int], script: str
) -> tuple[list[Any], list[Any]]:
    """The root class changes traced while `CONTROL_PAGE` loads with ``script`` inserted
    (`_trace_edited_load`): those that restyle the whole page (`_whole_page_restyles`), then
    all of them."""
    scheduled, url, html = _trace_edited_load(browser, site, insert_at, script)
    root_changes = [data for data in scheduled if _is_root_class_change(data)]
    return _whole_page_restyles(root_changes, url, html), root_changes


# A class set on the root once the body is there: by a script at its end, and by a listener a
# script in the head registers (written in the head, it runs after the body is parsed).
LATE_CLASS_CHANGES = {
    "end of body": (
        "</body>",
        STYLE_THE_ROOT + "<script>document.documentElement.classList.add('x')</script>",
    ),
    "head listener": (
        "</head>",
        "<script>addEventListener('DOMContentLoaded', () => {"
        + " getComputedStyle(document.documentElement).color;"
        + " document.documentElement.classList.add('x'); })</script>",
    ),
}


@pytest.mark.parametrize("where", list(LATE_CLASS_CHANGES))
def test_the_trace_sees_a_restyle_when_there_is_one(
    built_site: BuiltSite, browser: Any, where: str
) -> None:
    """The check above can fail: a class changed on the root once the body is there counts."""
    tag, script = LATE_CLASS_CHANGES[where]
    whole_page, _ = _retaken_until_found(
        lambda: _trace_root_changes(browser, built_site, lambda html: html.index(tag), script),
        lambda traced: traced[0] != [],
    )
    assert whole_page != []


def test_the_heads_own_class_changes_are_not_whole_page_restyles(
    built_site: BuiltSite, browser: Any
) -> None:
    """The head's script swaps `no-js` for `js`: with the root styled before it, the trace has
    that change, and the check lets it through, as the body is not there yet."""

    def before_the_heads_script(html: str) -> int:
        return html.rindex("<script>", 0, html.index('classList.replace("no-js", "js")'))

    whole_page, scheduled = _retaken_until_found(
        lambda: _trace_root_changes(browser, built_site, before_the_heads_script, STYLE_THE_ROOT),
        lambda traced: traced[1] != [],
    )
    assert scheduled != []
    assert whole_page == []


@pytest.mark.parametrize("page", TRACED_PAGES)
def test_material_starts_without_rendering_deferred_sections(
    traced_starts: dict[str, Any], page: str
) -> None:
    """The table of contents and the code blocks leave the sections below the screen alone."""
    _, forced, _ = traced_starts[page]
    assert [event.get("nodeName") for event in forced] == []


def test_the_trace_sees_a_section_rendered_by_a_script(built_site: BuiltSite, browser: Any) -> None:
    """The check above can fail: reading a position inside the last section forces it."""

    def trace_a_forced_section() -> list[dict[str, Any]]:
        events, _ = _trace(
            browser,
            lambda tab: tab.evaluate(
                "() => [...document.querySelectorAll('section.md-deferred')].at(-1)"
                ".firstElementChild.offsetTop"
            ),
            PHONE,
            untraced=lambda tab: tab.goto(built_site.url + CONTROL_PAGE, wait_until="load"),
        )
        return _sections_forced_by_scripts(events)

    forced = _retaken_until_found(trace_a_forced_section, lambda forced: forced != [])
    assert len(forced) >= 1


def _colour_switch_invalidations(scheduled: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The style invalidations in ``scheduled`` made by setting or removing the attribute that
    Material's palette puts on the body while it applies the colours."""
    return [data for data in scheduled if data.get("changedAttribute") == "data-md-color-switching"]


@pytest.mark.parametrize("page", TRACED_PAGES)
def test_materials_colour_switch_restyles_nothing(traced_starts: dict[str, Any], page: str) -> None:
    """Material sets and removes `data-md-color-switching` as its palette starts on every page;
    with its `[data-md-color-switching] *` rule gone (hooks/palette_switch.py), no rule reads
    the attribute and neither change restyles anything."""
    scheduled, _, _ = traced_starts[page]
    assert _colour_switch_invalidations(scheduled) == []


def test_the_trace_sees_a_colour_switch_restyle_when_a_rule_reads_it(
    built_site: BuiltSite, browser: Any
) -> None:
    """The check above can fail: with Material's rule put back, the attribute's changes
    restyle the page."""
    rule = "<style>[data-md-color-switching] * {transition-duration: 0s}</style>"
    scheduled, _, _ = _retaken_until_found(
        lambda: _trace_edited_load(browser, built_site, lambda html: html.index("</head>"), rule),
        lambda traced: _colour_switch_invalidations(traced[0]) != [],
    )
    assert _colour_switch_invalidations(scheduled) != []


def _rules_reading_the_switch(css: str) -> list[range]:
    """Where each rule that names ``data-md-color-switching`` is in ``css``: from the end of
    whatever precedes it (``{``, ``}`` or ``;``) to its closing brace. Found without the hook's
    pattern."""
    spans = []
    for found in re.finditer(re.escape("[data-md-color-switching]"), css):
        start = max(css.rfind(mark, 0, found.start()) for mark in "{};") + 1
        end = css.index("}", found.start()) + 1
        if not spans or spans[-1].stop != end:
            spans.append(range(start, end))
    return spans


def test_the_hook_blanks_materials_colour_switch_rule_and_nothing_else() -> None:
    """On the palette stylesheet Material ships: the characters of the rule, and only those,
    become spaces, so every other rule stays where it was (Material's source map still fits)."""
    material_css = Path(material.__file__).parent / "templates/assets/stylesheets"
    [palette] = material_css.glob("palette.*.min.css")
    css = palette.read_text(encoding="utf-8")
    dropped, count, others = palette_switch.drop_switching_rules(css)
    [rule] = _rules_reading_the_switch(css)
    assert (count, others) == (1, [])
    assert len(dropped) == len(css)
    changed = [at for at, (new, old) in enumerate(zip(dropped, css, strict=True)) if new != old]
    blank = [at for at in rule if not css[at].isspace()]
    assert changed == blank
    assert set(dropped[rule.start : rule.stop]) == {" "}


@pytest.mark.parametrize("dirty", [False, True])
def test_the_hook_warns_when_materials_rule_is_gone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, dirty: bool
) -> None:
    """A warning (which fails the strict build) if Material no longer has the rule, so that an
    upgrade is looked at; but not in a dirty build, which keeps the stylesheet blanked before."""
    stylesheets = tmp_path / "assets" / "stylesheets"
    stylesheets.mkdir(parents=True)
    (stylesheets / "palette.0.min.css").write_text("a{color:red}", encoding="utf-8")
    palette_switch.on_startup(command="build", dirty=dirty)
    try:
        with caplog.at_level("WARNING", logger=palette_switch.log.name):
            palette_switch.on_post_build(SimpleNamespace(site_dir=str(tmp_path)))
    finally:
        palette_switch.on_startup(command="build", dirty=False)
    warned = [record.getMessage() for record in caplog.records]
    assert (warned != []) is not dirty
    assert all("data-md-color-switching" in message for message in warned)


def test_the_built_site_has_no_colour_switch_rule(built_site: BuiltSite) -> None:
    stylesheets = sorted(built_site.directory.glob(palette_switch.MATERIAL_STYLESHEETS))
    assert [sheet.name for sheet in stylesheets if "palette" in sheet.name] != []
    assert [
        sheet.name
        for sheet in stylesheets
        if "data-md-color-switching" in sheet.read_text(encoding="utf-8")
    ] == []


# Records each CSS transition that starts, from the start of the page: its element and property.
RECORD_TRANSITIONS = """
window.calcrefTransitions = [];
addEventListener("transitionrun", (event) => {
  const element = event.target;
  const classes = [...element.classList].map((name) => "." + name).join("");
  const name = element.tagName.toLowerCase() + classes;
  window.calcrefTransitions.push(name + " " + event.propertyName);
}, true);
"""


def _transitions_of_a_load(
    browser: Any, site: BuiltSite, scheme: str, after_load: str = "() => {}"
) -> list[str]:
    """The transitions that ran while the home page loaded in ``scheme`` and Material started,
    and while ``after_load`` ran."""
    context = browser.new_context(color_scheme=scheme)
    try:
        tab = context.new_page()
        tab.add_init_script(RECORD_TRANSITIONS)
        tab.goto(site.url + CONTROL_PAGE, wait_until="load")
        tab.wait_for_function("() => !document.body.hasAttribute('data-md-color-switching')")
        tab.evaluate(after_load)
        # Material's transitions last 250 ms at most; one that starts has started by then.
        tab.wait_for_timeout(400)
        transitions: list[str] = tab.evaluate("() => window.calcrefTransitions")
    finally:
        context.close()
    return transitions


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_page_loads_without_a_colour_transition(
    built_site: BuiltSite, browser: Any, scheme: str
) -> None:
    """Nothing fades as a page loads. Material's rule that turned transitions off while its
    palette applied is gone (hooks/palette_switch.py), so any colour the page shows before
    Material starts and changes after would ease into place on every load: as the page's
    `color-scheme` did in dark, before the page declared it (palette.html)."""
    assert _transitions_of_a_load(browser, built_site, scheme) == []


def test_the_transition_check_sees_a_colour_that_changes(
    built_site: BuiltSite, browser: Any
) -> None:
    """The check above can fail: a palette colour changed once the page is up fades links."""
    change_primary = "() => document.body.setAttribute('data-md-color-primary', 'red')"
    transitions = _transitions_of_a_load(browser, built_site, "dark", change_primary)
    assert any(transition.endswith(" color") for transition in transitions), transitions


@pytest.mark.parametrize(("found_in", "takes"), [(1, 1), (2, 2), (3, 3), (None, TRACE_ATTEMPTS)])
def test_a_control_retakes_its_trace_until_it_finds_the_event(
    found_in: int | None, takes: int
) -> None:
    """Only as many traces as it takes to find the event, and no more than `TRACE_ATTEMPTS`."""
    taken: list[int] = []

    def take() -> int:
        taken.append(len(taken) + 1)
        return taken[-1]

    last = _retaken_until_found(take, lambda number: number == found_in)
    assert (last, len(taken)) == (takes, takes)
