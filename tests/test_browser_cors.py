"""What a page in a real Chromium can do to the mock: read and drive it from a local origin, not another.

The browser maps ``evil.example`` to this machine, so a foreign page is served locally (conftest.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
import requests

from mockmail import MockMailServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

ACCOUNTS = "/api/2.0/mail/accounts"
BOB_TOKEN = "bob-token"
BOB = {"Authorization": BOB_TOKEN}
KEPT = {"name": "kept", "match": {"method": "DELETE"}, "respond": {"delay_ms": 0}}

# The outcome of a fetch as the page sees it: the status and body it may read, or the error's name.
FETCH = """async ([url, init]) => {
    try {
        const answer = await fetch(url, init);
        return {status: answer.status, type: answer.type, body: await answer.text()};
    } catch (error) {
        return {error: error.name};
    }
}"""


def fetch(page: Page, url: str, **init: Any) -> dict[str, Any]:
    """Run ``fetch(url, init)`` in the page and return what it observed."""
    outcome: dict[str, Any] = page.evaluate(FETCH, [url, init])
    return outcome


def put_as_bob(name: str) -> dict[str, Any]:
    """The ``init`` of a PUT carrying Bob's token and JSON: both need a preflight from another origin."""
    return {
        "method": "PUT",
        "credentials": "include",
        "headers": {"Authorization": BOB_TOKEN, "Content-Type": "application/json"},
        "body": f'{{"email": "bob@example.com", "name": "{name}"}}',
    }


def bobs_name(server: MockMailServer) -> str:
    answer = requests.get(server.url + ACCOUNTS, headers=BOB, timeout=5)
    name: str = answer.json()["response"][0]["name"]
    return name


@pytest.fixture
def mock(server: MockMailServer) -> str:
    """The mock as a page names it: a local name, and an origin other than the page's."""
    return f"http://127.0.0.1:{server.port}"


def test_a_local_page_reads_answers_and_drives_the_control_endpoints(page, page_host, server, mock):
    page.goto(page_host.local)

    put = fetch(page, mock + ACCOUNTS, **put_as_bob("From the page"))
    journal = fetch(page, mock + "/_mockmail/journal")
    added = fetch(
        page,
        mock + "/_mockmail/faults",
        method="POST",
        headers={"Content-Type": "application/json"},
        body='{"name": "from-the-page", "match": {"method": "DELETE"}, "respond": "unauthorized"}',
    )

    assert put["status"] == 200
    assert json.loads(put["body"])["response"]["name"] == "From the page"
    assert [entry["method"] for entry in json.loads(journal["body"])["requests"]] == ["PUT"]
    assert added["status"] == 201
    assert json.loads(added["body"])["fault"]["name"] == "from-the-page"
    assert [fault.name for fault in server.faults()] == ["from-the-page"]
    assert bobs_name(server) == "From the page"


def test_a_foreign_page_can_read_nothing_and_its_preflighted_put_is_never_sent(page, page_host, server, mock):
    page.goto(page_host.foreign)

    journal = fetch(page, mock + "/_mockmail/journal")
    accounts = fetch(page, mock + ACCOUNTS, headers=BOB)
    put = fetch(page, mock + ACCOUNTS, **put_as_bob("Changed by evil.example"))

    assert journal == {"error": "TypeError"}
    assert accounts == {"error": "TypeError"}  # Authorization needs a preflight, which learns nothing
    assert put == {"error": "TypeError"}
    assert server.journal() == []  # the preflights stopped both before the mock's API
    assert bobs_name(server) == ""  # as the scenario has it


@pytest.mark.parametrize(
    "case", [("local", 204, []), ("foreign", 403, ["kept"])], ids=["from-a-local-page", "from-a-foreign-page"]
)
def test_a_blind_form_post_resets_the_mock_only_from_a_local_page(
    page, page_host, server, mock, case: tuple[str, int, list[str]]
):
    origin, status, faults = case  # the page's origin, the answer, and the faults left
    server.add_fault(KEPT)
    page.goto(getattr(page_host, origin))

    with page.expect_response(mock + "/_mockmail/reset") as answer:
        page.evaluate(
            """(action) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                document.body.append(form);
                form.submit();
            }""",
            mock + "/_mockmail/reset",
        )

    assert answer.value.request.header_value("origin") == getattr(page_host, origin)
    assert answer.value.status == status
    assert [fault.name for fault in server.faults()] == faults


def test_a_foreign_pages_no_cors_posts_change_nothing(page, page_host, server, mock):
    server.add_fault(KEPT)
    requests.put(server.url + ACCOUNTS, data={"email": "bob@example.com"}, headers=BOB, timeout=5)
    page.goto(page_host.foreign)

    # The simple requests a page may send anywhere without asking: the answers are opaque to it.
    blind = {"method": "POST", "mode": "no-cors", "headers": {"Content-Type": "text/plain"}}
    outcomes = [
        fetch(page, mock + "/_mockmail/faults", body='{"name": "evil", "respond": "unauthorized"}', **blind),
        fetch(page, mock + "/_mockmail/reset", **blind),
        fetch(page, mock + "/_mockmail/users/bob/revoke-token", **blind),
    ]

    assert outcomes == [{"status": 0, "type": "opaque", "body": ""}] * 3
    assert [fault.name for fault in server.faults()] == ["kept"]
    assert len(server.journal()) == 1
    assert requests.get(server.url + ACCOUNTS, headers=BOB, timeout=5).status_code == 200


def test_a_dns_rebound_page_is_refused_on_its_own_origin(page, server):
    """A page of evil.example, its name now resolving to the mock, may read same-origin answers: 403s."""
    server.add_fault(KEPT)
    rebound = f"http://evil.example:{server.port}"

    document = page.goto(rebound + "/")
    accounts = fetch(page, rebound + ACCOUNTS, headers=BOB)
    journal = fetch(page, rebound + "/_mockmail/journal")
    reset = fetch(page, rebound + "/_mockmail/reset", method="POST")

    assert document is not None
    assert document.status == 403
    assert accounts["status"] == journal["status"] == reset["status"] == 403
    assert "only local Host names, not 'evil.example:" in accounts["body"]
    assert '"requests"' not in journal["body"]
    assert [fault.name for fault in server.faults()] == ["kept"]


def test_an_added_origin_reads_answers_from_its_page(page, page_host):
    with MockMailServer(cors_origins=(page_host.foreign,)) as server:
        mock = f"http://localhost:{server.port}"
        page.goto(page_host.foreign)

        put = fetch(page, mock + ACCOUNTS, **put_as_bob("From an added origin"))
        journal = fetch(page, mock + "/_mockmail/journal")

    assert put["status"] == 200
    assert json.loads(put["body"])["response"]["name"] == "From an added origin"
    assert [entry["method"] for entry in json.loads(journal["body"])["requests"]] == ["PUT"]
