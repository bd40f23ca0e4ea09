"""Two builds of the site are byte for byte the same.

The session's build (`built_site`, which every other site test reads) is compared with one more
build, made in a copy of the working tree (tracked and new files, nothing git ignores) at another
path, with no cache of figures or notebooks (`site_fixtures.clean_build`): the clean build must
reproduce it. On a clean clone
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
from pathlib import Path

from site_fixtures import BuiltSite, CleanBuild


def files_of(site: Path) -> set[str]:
    return {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file()}


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
