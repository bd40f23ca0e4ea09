"""What the browser has to redo when Material's script starts on a page (overrides/).

Each change to the root element's classes, or to an attribute that a `[attr] *` rule reads on
the body, makes the browser restyle every element of the page. On a chapter that is thousands
of elements of typeset maths, in the script's first task, which a phone feels as a freeze.
The page sets what Material would set, before the body is parsed; these tests read Chromium's
own trace of style invalidations to check that Material's start no longer changes them, and
that the page still ends in the state Material meant.
"""

from __future__ import annotations

import json
from typing import Any

from site_fixtures import BuiltSite

INVALIDATION_TRACKING = "disabled-by-default-devtools.timeline.invalidationTracking"


def _invalidations(browser: Any, url: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Style invalidations scheduled while ``url`` loads, and the page's state after."""
    context = browser.new_context()
    tab = context.new_page()
    try:
        browser.start_tracing(page=tab, categories=["devtools.timeline", INVALIDATION_TRACKING])
        tab.goto(url, wait_until="load")
        tab.wait_for_function("() => !document.body.hasAttribute('data-md-color-switching')")
        events = json.loads(browser.stop_tracing())["traceEvents"]
        state = tab.evaluate(
            """() => ({
              rootClasses: [...document.documentElement.classList],
              focusVisible: document.documentElement.hasAttribute('data-js-focus-visible'),
            })"""
        )
    finally:
        context.close()
    scheduled = [
        event["args"]["data"]
        for event in events
        if event.get("name") == "ScheduleStyleInvalidationTracking"
        and "data" in event.get("args", {})
    ]
    return scheduled, state


def _is_root_class_change(data: dict[str, Any]) -> bool:
    return data.get("nodeName", "").startswith("HTML") and (
        data.get("changedAttribute") == "class" or "changedClass" in data
    )


def test_material_starts_without_restyling_the_whole_page(
    built_site: BuiltSite, browser: Any
) -> None:
    scheduled, state = _invalidations(browser, built_site.url + "derivatives/derivative-1d/")
    root_class_changes = [data for data in scheduled if _is_root_class_change(data)]
    switching_changes = [
        data
        for data in scheduled
        if data.get("nodeName", "").startswith("BODY")
        and data.get("changedAttribute") == "data-md-color-switching"
    ]
    assert root_class_changes == []
    # At most Material's removal, once its palette is in place (none if it came before the first
    # restyle): Material's own setting of the attribute found it set already.
    assert len(switching_changes) <= 1
    # The state Material's script leaves: `js`, not `no-js`; the focus-visible polyfill active.
    assert "js" in state["rootClasses"] and "no-js" not in state["rootClasses"]
    assert "js-focus-visible" in state["rootClasses"] and state["focusVisible"]


def test_the_trace_sees_a_restyle_when_there_is_one(built_site: BuiltSite, browser: Any) -> None:
    """The check above can fail: a class changed on the root after load is in the trace."""
    context = browser.new_context()
    tab = context.new_page()
    try:
        tab.goto(built_site.url, wait_until="load")
        browser.start_tracing(page=tab, categories=["devtools.timeline", INVALIDATION_TRACKING])
        tab.evaluate("() => document.documentElement.classList.add('no-js')")
        tab.evaluate("() => document.documentElement.getBoundingClientRect()")
        events = json.loads(browser.stop_tracing())["traceEvents"]
    finally:
        context.close()
    assert any(
        event.get("name") == "ScheduleStyleInvalidationTracking"
        and _is_root_class_change(event["args"].get("data", {}))
        for event in events
    )
