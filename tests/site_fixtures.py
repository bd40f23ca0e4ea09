"""Pytest fixtures that build the site once, serve it on loopback and open it in Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # This machine has no network: background services would only log refused connections.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class BuiltSite:
    """A strict build of the site, served at ``url``."""

    directory: Path
    url: str
    build_log: str


def build_site(site_dir: Path, site_url: str) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs build --strict`` into ``site_dir``, as the README's deployment build does."""
    env = {**os.environ, "SITE_URL": site_url, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltSite]:
    """Build the site once per session and serve it from a thread on 127.0.0.1."""
    directory = tmp_path_factory.mktemp("site")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=directory))
    url = f"http://127.0.0.1:{server.server_port}/"
    build = build_site(directory, url)
    if build.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{build.stderr}", pytrace=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield BuiltSite(directory, url, build.stderr)
    finally:
        server.shutdown()
        server.server_close()


def chromium_path() -> str | None:
    """Debian's Chromium (``.ci/run`` installs it), or one named by ``CALCREF_CHROMIUM``."""
    return os.environ.get("CALCREF_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright."""
    executable = chromium_path()
    if executable is None:
        message = "Chromium is not installed: `apt-get install chromium` (`.ci/run` does it)."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()
