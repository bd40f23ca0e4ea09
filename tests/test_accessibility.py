"""axe-core on every page of the built site, in light and dark.

The rules: WCAG 2.0 and 2.1 levels A and AA, and axe's best practices (Lighthouse's accessibility
score counts some of them, such as a name for the search dialog). The light visits run them all;
the dark visits run those whose verdict a colour scheme can change: the colour rules (contrast,
links told apart by colour) and the text alternatives, since each scheme shows its own variant of
a figure (`site_fixtures.RUN_AXE`).

axe runs inside each page load of the `page_views` fixture; this file only reads the results.
A serious or critical violation fails; minor and moderate ones are not gated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from site_fixtures import RUN_AXE, SchemeViews

GATED_IMPACTS = {"serious", "critical"}


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


# A page with one violation of each kind the visits must catch: faint text, a link told apart
# from its sentence by a shade only, and markup without names (a progress bar, a dialog, an
# image).
FLAWED_PAGE = (
    '<html lang="en"><head><title>t</title></head><body><main>'
    '<p style="color:#777;background:#888">faint text</p>'
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
    tab.add_script_tag(path=str(node_modules / "axe-core" / "axe.min.js"))
    found = {violation["id"] for violation in tab.evaluate(RUN_AXE, scheme_rules_only)}
    context.close()
    assert expected <= found
    if scheme_rules_only:
        assert found == expected
