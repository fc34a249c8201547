"""What the 401's Basic challenge does to a page in a real Chromium, and what --no-basic-challenge changes.

A page on one local origin calls the mock on another (``localhost:PAGE`` to ``localhost:MOCK``)
with a wrong ``Authorization`` header and ``credentials: 'include'``, as a web client whose
token has expired does. The challenge makes Chromium ask the user to log in, as a real portal
does (headless, with no one to answer, the request never ends); without it the page reads the
401 and mockmail's reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from mockmail import MockMailServer

if TYPE_CHECKING:
    from conftest import PageHost
    from playwright.sync_api import BrowserContext, CDPSession, Page

ACCOUNTS = "/api/2.0/mail/accounts"
WAIT_MS = 2000

# The page's PUT with an expired token, raced against a timer: the answer it could read, or "pending".
PUT_WITH_A_WRONG_TOKEN = """async ([url, waitMs]) => {
    const answer = fetch(url, {
        method: "PUT",
        credentials: "include",
        headers: {"Authorization": "expired-token", "Content-Type": "application/json"},
        body: '{"email": "alice@example.com"}',
    }).then(
        (answer) => ({
            status: answer.status,
            reason: answer.headers.get("X-Mockmail-Reason"),
            challenge: answer.headers.get("WWW-Authenticate"),
        }),
        (error) => ({error: error.name}),
    );
    const timer = new Promise((resolve) => setTimeout(() => resolve("pending"), waitMs));
    return await Promise.race([answer, timer]);
}"""


@pytest.fixture
def mock_on_localhost(request: pytest.FixtureRequest) -> Iterator[tuple[MockMailServer, str]]:
    """A mock of its own (``basic_challenge`` from the test's parameter), as the page names it."""
    with MockMailServer(basic_challenge=request.param) as server:
        yield server, f"http://localhost:{server.port}"


def put_from_the_page(page: Page, page_host: PageHost, mock: str) -> Any:
    page.goto(page_host.local)
    return page.evaluate(PUT_WITH_A_WRONG_TOKEN, [mock + ACCOUNTS, WAIT_MS])


def watch_login_prompts(context: BrowserContext, page: Page) -> list[dict[str, Any]]:
    """The login prompts Chromium would show for the page, each cancelled as a user would (DevTools Fetch)."""
    session: CDPSession = context.new_cdp_session(page)
    prompts: list[dict[str, Any]] = []

    def paused(event: dict[str, Any]) -> None:
        session.send("Fetch.continueRequest", {"requestId": event["requestId"]})

    def login_prompt(event: dict[str, Any]) -> None:
        prompts.append(event["authChallenge"])
        cancel = {"requestId": event["requestId"], "authChallengeResponse": {"response": "CancelAuth"}}
        session.send("Fetch.continueWithAuth", cancel)

    session.on("Fetch.requestPaused", paused)
    session.on("Fetch.authRequired", login_prompt)
    session.send("Fetch.enable", {"handleAuthRequests": True, "patterns": [{"urlPattern": "*"}]})
    return prompts


@pytest.mark.parametrize("mock_on_localhost", [None], indirect=True)
def test_with_the_challenge_chromium_asks_the_user_to_log_in(
    browser_context: BrowserContext,
    page: Page,
    page_host: PageHost,
    mock_on_localhost: tuple[MockMailServer, str],
):
    _, mock = mock_on_localhost
    prompts = watch_login_prompts(browser_context, page)
    seen = put_from_the_page(page, page_host, mock)
    assert prompts == [{"source": "Server", "origin": mock, "scheme": "basic", "realm": "localhost"}]
    assert seen["status"] == 401  # once the prompt is cancelled


@pytest.mark.parametrize("mock_on_localhost", [None], indirect=True)
def test_headless_with_no_one_to_log_in_the_request_never_ends(
    page: Page, page_host: PageHost, mock_on_localhost: tuple[MockMailServer, str]
):
    server, mock = mock_on_localhost
    seen = put_from_the_page(page, page_host, mock)
    assert seen == "pending"
    assert [(entry.method, entry.status) for entry in server.journal()] == [("PUT", 401)]


@pytest.mark.parametrize("mock_on_localhost", [False], indirect=True)
def test_without_the_challenge_the_page_reads_the_401_and_why(
    browser_context: BrowserContext,
    page: Page,
    page_host: PageHost,
    mock_on_localhost: tuple[MockMailServer, str],
):
    _, mock = mock_on_localhost
    prompts = watch_login_prompts(browser_context, page)
    seen = put_from_the_page(page, page_host, mock)
    assert seen == {"status": 401, "reason": "no user has this token", "challenge": None}
    assert prompts == []
