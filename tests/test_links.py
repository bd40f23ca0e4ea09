"""No broken internal link or anchor in the built site, checked by linkinator.

linkinator serves the build itself, follows every same-site link (pages, stylesheets, scripts,
images, links inside CSS) and checks each `#fragment` against the target page's HTML. Links to
other hosts are skipped: the tests run offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from site_fixtures import BuiltSite


def check_links(node_modules: Path, directory: Path) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "Node.js is not installed"
    cli = node_modules / "linkinator" / "build" / "src" / "cli.js"
    result = subprocess.run(
        [
            node,
            str(cli),
            str(directory),
            "--recurse",
            "--check-fragments",
            "--check-css",
            # linkinator serves the directory on localhost; anything else is another host.
            "--skip",
            "^(?!http://localhost[:/])",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def broken(report: dict[str, Any]) -> list[str]:
    return [
        f"{link['url']} (status {link['status']}, on {link.get('parent', 'the same page')})"
        for link in report["links"]
        if link["state"] == "BROKEN"
    ]


def test_no_broken_internal_link_or_anchor(node_modules: Path, built_site: BuiltSite) -> None:
    report = check_links(node_modules, built_site.directory)
    checked = [link for link in report["links"] if link["state"] == "OK"]
    print(f"linkinator checked {len(report['links'])} links, {len(checked)} OK")
    assert broken(report) == []
    assert len(checked) > 0


def test_link_check_finds_a_broken_link_and_anchor(node_modules: Path, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<a href="missing/">gone</a> <a href="other.html#nowhere">bad anchor</a>'
        ' <a href="other.html#here">good anchor</a>',
        encoding="utf-8",
    )
    (tmp_path / "other.html").write_text('<p id="here">here</p>', encoding="utf-8")
    found = broken(check_links(node_modules, tmp_path))
    assert len(found) >= 2
    assert any("missing/" in entry for entry in found)
    assert any("#nowhere" in entry for entry in found)
    assert not any("#here" in entry for entry in found)
