"""The built site: a strict build with no warning, served pages, and a real browser's view."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import site_fixtures
from site_fixtures import BuiltSite, serve

ROOT = Path(__file__).parent.parent
PAGES = [
    "",
    "derivatives/derivative-1d/",
    "derivatives/linear-approximation/",
    "multivariable/derivative-3d/",
    "multivariable/directional-derivative/",
    "multivariable/partial-derivatives/",
    "multivariable/chain-rule/",
    "multivariable/gradient/",
    "multivariable/gradient-theorem/",
    "second-order/second-derivative/",
    "second-order/hessian/",
    "notation/",
    "errata/",
    "references/",
    "checking/how-claims-are-checked/",
    "api/symbolic/",
    "api/checking/",
    "numerics/computing-derivatives/",
]


def test_strict_build_has_no_warning(built_site: BuiltSite) -> None:
    problems = [
        line for line in built_site.build_log.splitlines() if "WARNING" in line or "ERROR" in line
    ]
    assert problems == []


@pytest.mark.parametrize("page", PAGES)
def test_page_is_served(built_site: BuiltSite, page: str) -> None:
    with urllib.request.urlopen(built_site.url + page) as response:
        assert response.status == 200
        assert "text/html" in response.headers["Content-Type"]


@pytest.mark.parametrize(
    ("scheme", "shown", "hidden"), [("light", "light", "dark"), ("dark", "dark", "light")]
)
def test_figures_show_only_the_variant_of_the_colour_scheme(
    built_site: BuiltSite, browser: Any, scheme: str, shown: str, hidden: str
) -> None:
    """A page embeds each figure twice, light then dark; the reader must see exactly one."""
    context = browser.new_context(color_scheme=scheme)
    tab = context.new_page()
    fetched: list[str] = []
    tab.on("request", lambda request: fetched.append(request.url))
    tab.goto(built_site.url + "derivatives/linear-approximation/", wait_until="networkidle")
    displays = tab.eval_on_selector_all(
        'article img[src*="figures/"]',
        "images => images.map(i => [i.getAttribute('src'), getComputedStyle(i).display])",
    )
    context.close()
    assert len(displays) >= 2
    for src, display in displays:
        expected_hidden = src.endswith(f"#only-{hidden}")
        assert src.endswith((f"#only-{shown}", f"#only-{hidden}"))
        assert (display == "none") is expected_hidden, (src, display)
    # Lazy figures: the hidden variant costs the reader nothing.
    figure_files = [url.rsplit("/", 1)[1] for url in fetched if "/figures/" in url]
    assert figure_files, "no figure was fetched: the page should show one near its top"
    assert all(name.endswith("-dark.svg") == (shown == "dark") for name in figure_files), fetched


# `./dev serve` runs `mkdocs serve`, which builds the whole site before it answers: seconds of
# waiting, started in the background once the session's build is done, so that the tests go on
# meanwhile.
@site_fixtures.starts_early("serve_statuses")
def _start_serving(config: pytest.Config) -> Future[dict[str, int]]:
    return site_fixtures.in_background(_serve_and_fetch_pages, config)


def _serve_and_fetch_pages(config: pytest.Config) -> dict[str, int]:
    """``{page: HTTP status}`` of `PAGES` from `mkdocs serve`, started as `./dev serve` does."""
    site_fixtures.after_the_build(config)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SITE_URL": f"http://127.0.0.1:{port}/"}
    with tempfile.TemporaryFile("w+") as log:
        server = site_fixtures.launched(
            subprocess.Popen(
                [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        try:
            return {
                page: _status_when_up(f"http://127.0.0.1:{port}/{page}", server, log)
                for page in PAGES
            }
        finally:
            site_fixtures.stop(server)


@pytest.fixture
def serve_statuses(request: pytest.FixtureRequest) -> dict[str, int]:
    try:
        statuses: dict[str, int] = site_fixtures.result_of(
            site_fixtures.early(request.config, "serve_statuses"), "`mkdocs serve`"
        )
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    return statuses


def test_serve_command_answers_for_home_and_1d_page(serve_statuses: dict[str, int]) -> None:
    """`./dev serve` answers for the home page and every page of `PAGES`."""
    assert serve_statuses == dict.fromkeys(PAGES, 200)


def _status_when_up(
    url: str, server: subprocess.Popen[bytes], log: Any, timeout: float = 300.0
) -> int:
    """The status of ``url`` once the server answers. `mkdocs serve` builds the whole site
    before it listens: seconds on a quiet machine, minutes on a busy one, so the wait is long.
    A server that stopped, or never answered, raises ``RuntimeError`` with its ``log`` (an open
    file)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code  # it answered: a missing page is a 404, not a server still building
        except (urllib.error.URLError, ConnectionError):
            stopped = server.poll() is not None
            if stopped or time.monotonic() > deadline:
                log.seek(0)
                what = "stopped" if stopped else f"did not answer {url} within {timeout} s"
                raise RuntimeError(f"mkdocs serve {what}:\n{log.read()}") from None
            time.sleep(0.2)


def test_waiting_for_a_server_names_a_missing_page_and_a_server_that_stopped(
    tmp_path: Path,
) -> None:
    server = serve(tmp_path)  # an empty folder: every page is missing
    stopped = subprocess.Popen([sys.executable, "-c", "pass"])
    stopped.wait(timeout=30)
    try:
        with tempfile.TemporaryFile("w+") as log:
            url = f"http://127.0.0.1:{server.server_port}/missing/"
            assert _status_when_up(url, stopped, log) == 404
            log.write("no such option\n")
            with socket.socket() as probe:  # a port nothing listens on
                probe.bind(("127.0.0.1", 0))
                closed = f"http://127.0.0.1:{probe.getsockname()[1]}/"
            with pytest.raises(RuntimeError, match=r"mkdocs serve stopped:\nno such option"):
                _status_when_up(closed, stopped, log)
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_left_running_is_stopped_even_if_it_ignores_the_request() -> None:
    """What the session does at its end for the processes background threads started (a daemon
    thread is stopped without its `finally`): terminate each, then kill it if it stays."""
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ignoring',"
        " flush=True); time.sleep(60)"
    )
    ignores = subprocess.Popen([sys.executable, "-c", stubborn], stdout=subprocess.PIPE, text=True)
    obeys = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert ignores.stdout is not None
    assert ignores.stdout.readline() == "ignoring\n"  # its handler is set, however slow the start
    started = time.monotonic()
    site_fixtures.stop_launched([ignores, obeys], grace=1.0)
    ignores.stdout.close()
    assert (obeys.returncode, ignores.returncode) == (-signal.SIGTERM, -signal.SIGKILL)
    assert time.monotonic() - started < 10


def test_the_test_server_is_quiet_when_a_client_drops_a_connection(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Chromium resets connections it no longer needs: no traceback in a passing run's log."""
    (tmp_path / "big.bin").write_bytes(b"x" * 8_000_000)
    server = serve(tmp_path)
    try:
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", server.server_port)) as client:
                client.sendall(b"GET /big.bin HTTP/1.1\r\nHost: test\r\n\r\n")
                assert client.recv(100).startswith(b"HTTP/1.0 200")
                # Close with a reset (linger 0) while the server is still writing.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.5)  # the handler threads meet the reset
    finally:
        server.shutdown()
        server.server_close()
    assert capfd.readouterr().err == ""


def test_a_test_waiting_for_slow_work_fails_when_it_never_ends() -> None:
    with pytest.raises(pytest.fail.Exception, match="the page visits did not finish within"):
        site_fixtures.result_of(Future(), "the page visits", timeout=0.05)
    # Work that failed with a timeout of its own keeps its message.
    failed: Future[Any] = Future()
    failed.set_exception(TimeoutError("the light visit of x/ did not finish"))
    with pytest.raises(TimeoutError, match="light visit of x/"):
        site_fixtures.result_of(failed, "the page visits", timeout=0.05)


def test_a_visit_that_does_not_finish_fails_naming_its_page(tmp_path: Path) -> None:
    executable = site_fixtures.require_chromium()
    (tmp_path / "index.html").write_text("<title>t</title><p>A page.</p>", encoding="utf-8")
    server = serve(tmp_path)
    site = BuiltSite(tmp_path, f"http://127.0.0.1:{server.server_port}/", "")
    try:
        with pytest.raises(TimeoutError, match=r"the light visit of .* did not finish within"):
            visits = site_fixtures._view_site(site, executable, {"light": Future()}, 0.001)
            asyncio.run(visits)
    finally:
        server.shutdown()
        server.server_close()
