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
import tempfile
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import pytest
from site_fixtures import (
    ROOT,
    BuiltSite,
    build_site,
    early,
    in_background,
    shared_site,
    starts_early,
)


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


@dataclass(frozen=True)
class CleanBuild:
    site: Path
    url: str
    build: subprocess.CompletedProcess[str]


def clean_build_for(url: str, project: Path) -> CleanBuild:
    copy_working_tree(project)
    assert not (project / ".cache").exists(), "the clean build must not start from a cache"
    return CleanBuild(project / "site", url, build_site(project / "site", url, project=project))


@starts_early("clean_build")
def start_clean_build(config: pytest.Config) -> Future[CleanBuild]:
    """Built alongside the session's build, in the background, from when the tests are collected."""
    project = Path(tempfile.mkdtemp(prefix="calcref-clean-build-"))
    config.add_cleanup(lambda: shutil.rmtree(project, ignore_errors=True))
    _, url = shared_site(config)
    return in_background(clean_build_for, url, project / "project")


@pytest.fixture(scope="session")
def clean_build(request: pytest.FixtureRequest) -> CleanBuild:
    built: CleanBuild = early(request.config, "clean_build").result()
    return built


def test_a_clean_build_reproduces_the_session_build(
    built_site: BuiltSite, clean_build: CleanBuild
) -> None:
    assert clean_build.build.returncode == 0, clean_build.build.stderr
    assert built_site.url == clean_build.url

    first, second = built_site.directory, clean_build.site
    names = files_of(first)
    assert len(names) > 10
    assert names == files_of(second)
    _, mismatch, errors = filecmp.cmpfiles(first, second, sorted(names), shallow=False)
    assert (mismatch, errors) == ([], [])
