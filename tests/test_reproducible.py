"""Two builds of the site are byte for byte the same.

The session's build (`built_site`, which every other site test reads) is compared with one more
build, made in a copy of the working tree (tracked and new files, nothing git ignores) at another
path, with no cache of figures or notebooks: the clean build must reproduce it. On a clean clone
(CI) the session's build is clean too; locally it may have reused the cache, which then must not
change a byte either.

What would differ, and why it does not: the sitemap's ``<lastmod>`` and the gzip header of
``sitemap.xml.gz`` carry the build date. MkDocs takes that date from ``SOURCE_DATE_EPOCH`` when
it is set (reproducible-builds.org), as `site_fixtures.build_site` does; without it, builds on
different days differ in those two files only. Both builds are for the same `site_url` (the
session's loopback server), which the pages and the sitemap name.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from site_fixtures import ROOT, BuiltSite, build_site, shared_site


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


def files_of(site: Path) -> set[str]:
    return {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file()}


def test_a_clean_build_reproduces_the_session_build(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    copy_working_tree(project)
    assert not (project / ".cache").exists(), "the clean build must not start from a cache"
    # Under pytest-xdist another worker may be making the session's build now: build alongside.
    _, url = shared_site(request.config)
    with ThreadPoolExecutor(max_workers=1) as pool:
        clean_build = pool.submit(build_site, project / "site", url, project=project)
        built_site: BuiltSite = request.getfixturevalue("built_site")
        build = clean_build.result()
    assert build.returncode == 0, build.stderr
    assert built_site.url == url

    first, second = built_site.directory, project / "site"
    names = files_of(first)
    assert len(names) > 10
    assert names == files_of(second)
    _, mismatch, errors = filecmp.cmpfiles(first, second, sorted(names), shallow=False)
    assert (mismatch, errors) == ([], [])
