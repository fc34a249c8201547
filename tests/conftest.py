"""Shared fixtures: one real server on a loopback port for the session, reset before each test."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import requests

from mockmail import MockMailServer
from mockmail.scenarios import Scenario, default_scenario

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

ROOT = Path(__file__).resolve().parent.parent
ALICE_TOKEN = "864FE52C-1C1C-469F-9308-51DAFEFE7436"
BOB_TOKEN = "bob-token"


@pytest.fixture(scope="session")
def default() -> Scenario:
    return default_scenario()


@pytest.fixture(scope="session")
def session_server(default: Scenario) -> Iterator[MockMailServer]:
    with MockMailServer(default) as server:
        yield server


@pytest.fixture
def server(session_server: MockMailServer, default: Scenario) -> MockMailServer:
    """The session's server with the default scenario, as new."""
    session_server.reset(default)
    return session_server


@pytest.fixture
def url(server: MockMailServer) -> str:
    return server.url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def alice() -> dict[str, str]:
    """Alice's credentials, the raw-token form the docs show."""
    return {"Authorization": ALICE_TOKEN}


@pytest.fixture
def bob() -> dict[str, str]:
    return {"Authorization": BOB_TOKEN}


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[[str], Path]:
    """Write YAML text to a scenario file and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


# Browser tests: one headless Chromium for the session, a new context per test.

FOREIGN_HOST = "evil.example"  # the browser resolves it, and every name under it, to 127.0.0.1
BROWSER_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium refuses its sandbox
    "--disable-gpu",
    # Without these, Chromium's background traffic fills the log with refused connections on a closed network.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--host-resolver-rules=MAP {FOREIGN_HOST} 127.0.0.1, MAP *.{FOREIGN_HOST} 127.0.0.1",
]
BLANK_PAGE = b"<!doctype html><meta charset=utf-8><title>mockmail test page</title>"


def browser_unavailable(reason: str) -> NoReturn:
    """Skip the browser test, or fail it where MOCKMAIL_REQUIRE_BROWSER=1 says a browser must run (CI)."""
    if os.environ.get("MOCKMAIL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (MOCKMAIL_REQUIRE_BROWSER=1: browser tests must run)", pytrace=False)
    pytest.skip(reason)


def launch_chromium(playwright: Playwright) -> Browser:
    """Playwright's own Chromium if installed, else a system one on PATH (Debian's ``chromium``)."""
    from playwright.sync_api import Error

    try:
        return playwright.chromium.launch(args=BROWSER_ARGS)
    except Error:
        pass  # not downloaded, the usual case here: Playwright's download site is often unreachable
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        browser_unavailable(
            "no Chromium: Playwright's is not installed (playwright install chromium) "
            "and neither chromium nor chromium-browser is on PATH"
        )
    try:
        return playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS, timeout=20_000)
    except Error as error:
        lines = str(error).splitlines()
        said = [line.partition("][err] ")[2] for line in lines if "][err] " in line]
        browser_unavailable(
            f"{executable} did not start: {lines[0]}" + (f"; it said: {said[-1]}" if said else "")
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Chromium for the session, resolving ``evil.example`` to this machine."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile for one test: no cookies, cache or permissions left by another."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Page:
    return browser_context.new_page()


@dataclass(frozen=True, slots=True)
class PageHost:
    """A local web server for test pages, whose origin is local or foreign by the name a page uses."""

    port: int

    @property
    def local(self) -> str:
        """The origin of a page from this machine."""
        return f"http://localhost:{self.port}"

    @property
    def foreign(self) -> str:
        """The origin of a page from another site, though served from here."""
        return f"http://{FOREIGN_HOST}:{self.port}"


class _BlankPage(BaseHTTPRequestHandler):
    """Any GET is an empty HTML page: tests give it behaviour with ``page.evaluate``."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(BLANK_PAGE)))
        self.end_headers()
        self.wfile.write(BLANK_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest shows the test's own output


@pytest.fixture(scope="session")
def page_host() -> Iterator[PageHost]:
    """The page server, on a loopback port of its own, apart from the mock's."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _BlankPage)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="test-pages", daemon=True)
    thread.start()
    try:
        yield PageHost(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


pytest_plugins = ["pytester"]
