"""Two clean builds of the site are byte for byte the same.

Each build runs in its own copy of the working tree (tracked and new files, nothing git
ignores), so no cache of figures or notebooks is shared. The two builds run at once, one per core.

What would differ, and why it does not: the sitemap's ``<lastmod>`` and the gzip header of
``sitemap.xml.gz`` carry the build date. MkDocs takes that date from ``SOURCE_DATE_EPOCH`` when
it is set (reproducible-builds.org), as it is here; without it, builds on different days differ
in those two files only.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

from site_fixtures import ROOT

SOURCE_DATE_EPOCH = "1764115200"  # 2025-11-26T00:00:00Z; any fixed value will do


def copy_working_tree(destination: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def start_build(project: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "SITE_URL": "https://example.org/calcref/",
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "site"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def files_of(site: Path) -> set[str]:
    return {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file()}


def test_two_clean_builds_are_identical(tmp_path: Path) -> None:
    projects = [tmp_path / "first", tmp_path / "second"]
    for project in projects:
        copy_working_tree(project)
    builds = [start_build(project) for project in projects]
    for build in builds:
        _, stderr = build.communicate(timeout=600)
        assert build.returncode == 0, stderr.decode()

    first, second = (project / "site" for project in projects)
    names = files_of(first)
    assert len(names) > 10
    assert names == files_of(second)
    _, mismatch, errors = filecmp.cmpfiles(first, second, sorted(names), shallow=False)
    assert (mismatch, errors) == ([], [])
