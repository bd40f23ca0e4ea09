"""axe-core on every page of the built site, in light and dark.

The rules: WCAG 2.0 and 2.1 levels A and AA, and axe's best practices (Lighthouse's accessibility
score counts some of them, such as a name for the search dialog).

axe runs inside each page load of the `page_views` fixture; this file only reads the results.
A serious or critical violation fails; minor and moderate ones are not gated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def test_axe_reports_what_it_should(node_modules: Path, browser: Any) -> None:
    """The same axe set-up flags low contrast, nameless progress bar and dialog, and bare img."""
    context = browser.new_context()
    tab = context.new_page()
    tab.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<p style="color:#777;background:#888">faint text</p>'
        '<div role="progressbar"></div><div role="dialog">d</div>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    tab.add_script_tag(path=str(node_modules / "axe-core" / "axe.min.js"))
    found = {violation["id"] for violation in tab.evaluate(RUN_AXE)}
    context.close()
    assert {"color-contrast", "aria-progressbar-name", "aria-dialog-name", "image-alt"} <= found
