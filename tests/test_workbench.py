"""The workbench's own endpoints: the page, its static files, and the users as the page shows them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from mockmail import MockMailServer
from mockmail.app import create_app
from mockmail.scenarios import Scenario

ACCOUNTS = "/api/2.0/mail/accounts"
USERS = "/_mockmail/users"
ALICE = {"Authorization": "864FE52C-1C1C-469F-9308-51DAFEFE7436"}
BOB = {"Authorization": "bob-token"}
# Bob's account as the scenario has it; an update is a full replacement, so a save sends it all.
BOBS_ACCOUNT = {
    "email": "bob@example.com",
    "name": "",
    "account": "bob@example.com",
    "smtp_account": "bob@example.com",
}
ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "mockmail" / "static"


@pytest.fixture
def client(default: Scenario) -> FlaskClient:
    return create_app(default).test_client()


def accounts_of(client: FlaskClient, name: str) -> dict[str, dict[str, Any]]:
    """A user's accounts in the users view, by email."""
    (user,) = [user for user in client.get(USERS).json["users"] if user["name"] == name]
    return {account["email"]: account for account in user["accounts"]}


def test_the_root_redirects_to_the_page(client):
    answer = client.get("/")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/_mockmail/"


def test_the_page_links_its_script_stylesheet_and_icon_and_runs_nothing_inline(client):
    answer = client.get("/_mockmail/")
    html = answer.text

    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    assert '<script src="/_mockmail/static/workbench.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/_mockmail/static/workbench.css">' in html
    assert 'href="/_mockmail/static/favicon.svg"' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # no inline script
    assert re.findall(r"\son[a-z]+\s*=", html) == []  # no inline event handler
    assert [part for part in ("<style", " style=") if part in html] == []
    assert re.findall(r"(?:src|href)=\"(?!/_mockmail/static/)", html) == []  # nothing from elsewhere


def test_the_page_is_served_under_a_strict_content_security_policy(client):
    headers = client.get("/_mockmail/").headers

    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy  # its buttons reset the mock: no other site may frame it
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [("workbench.js", "text/javascript"), ("workbench.css", "text/css"), ("favicon.svg", "image/svg+xml")],
)
def test_the_static_files_are_served_from_the_package(client, name, mimetype):
    with client.get(f"/_mockmail/static/{name}") as answer:
        assert answer.status_code == 200
        assert answer.mimetype == mimetype
        assert answer.data == (STATIC / name).read_bytes()


def test_the_script_puts_no_server_text_into_markup_and_calls_nothing_remote():
    script = (STATIC / "workbench.js").read_text(encoding="utf-8")

    unsafe = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function")
    assert [call for call in unsafe if call in script] == []
    assert re.findall(r"https?://", script) == []


def test_a_missing_static_file_is_a_404(client):
    assert client.get("/_mockmail/static/nothing.js").status_code == 404


def test_users_shows_tokens_and_accounts_as_the_list_endpoint_does(client):
    view = client.get(USERS).json["users"]
    listed = client.get(ACCOUNTS, headers=ALICE).json["response"]

    assert [(user["name"], user["token"], user["revoked"]) for user in view] == [
        ("alice", ALICE["Authorization"], False),
        ("bob", "bob-token", False),
    ]
    shown = [
        {key: value for key, value in account.items() if key not in ("changed", "settings")}
        for account in view[0]["accounts"]
    ]
    assert shown == listed
    assert [account["changed"] for account in view[0]["accounts"]] == [[], []]


def test_users_never_shows_a_password(client):
    text = client.get(USERS).text
    settings = accounts_of(client, "alice")["alice@example.com"]["settings"]

    assert [secret for secret in ("imap-secret", "smtp-secret", "alice-password") if secret in text] == []
    assert (settings["password"], settings["smtp_password"]) == ("***", "***")
    assert accounts_of(client, "bob")["bob@example.com"]["settings"]["password"] == ""


def test_an_update_marks_what_it_changed_until_the_next_reset(client):
    client.put(ACCOUNTS, json={**BOBS_ACCOUNT, "name": "Bob", "server": "imap.bob.test"}, headers=BOB)

    bob = accounts_of(client, "bob")["bob@example.com"]
    assert bob["name"] == "Bob"
    assert bob["changed"] == ["name", "server"]
    assert bob["settings"]["server"] == "imap.bob.test"

    assert client.post("/_mockmail/reset").status_code == 204
    assert accounts_of(client, "bob")["bob@example.com"]["changed"] == []


def test_a_restricted_import_is_marked_as_restrict(client):
    client.put(ACCOUNTS, json={**BOBS_ACCOUNT, "restrict": True}, headers=BOB)

    bob = accounts_of(client, "bob")["bob@example.com"]
    assert bob["changed"] == ["restrict"]
    assert bob["settings"]["restrict"] is True


def test_a_revoked_token_shows_until_the_next_reset(client):
    assert client.post("/_mockmail/users/bob/revoke-token").status_code == 204
    assert [user["revoked"] for user in client.get(USERS).json["users"]] == [False, True]

    client.post("/_mockmail/reset")
    assert [user["revoked"] for user in client.get(USERS).json["users"]] == [False, False]


def test_aliases_are_listed_after_their_mailbox_unmarked(client, tmp_path):
    scenario = tmp_path / "aliases.yaml"
    scenario.write_text(
        "version: 1\nusers:\n  - name: carol\n    accounts:\n"
        "      - {email: carol@example.com, aliases: [c@example.com]}\n",
        encoding="utf-8",
    )
    accounts = create_app(scenario).test_client().get(USERS).json["users"][0]["accounts"]

    assert [(a["email"], a["isAlias"], a["changed"], a["settings"] == {}) for a in accounts] == [
        ("carol@example.com", False, [], False),
        ("c@example.com", True, [], True),
    ]


def test_users_follows_a_reset_to_another_scenario(server, http):
    server.reset(ROOT / "scenarios" / "team.yaml")

    names = [user["name"] for user in http.get(server.url + USERS, timeout=5).json()["users"]]

    assert names == [user.name for user in server.scenario.users]


def test_with_a_control_token_users_needs_it(default):
    with MockMailServer(default, control_token="sesame") as server:
        refused = requests.get(server.url + USERS, timeout=5)
        allowed = requests.get(server.url + USERS, headers={"Authorization": "Bearer sesame"}, timeout=5)

    assert refused.status_code == 401
    assert allowed.status_code == 200


def test_users_shows_the_default_account_as_it_is_now(server: MockMailServer, http: requests.Session):
    def defaults() -> list[str]:
        (alice,) = [
            user
            for user in http.get(server.url + USERS, timeout=5).json()["users"]
            if user["name"] == "alice"
        ]
        return [account["email"] for account in alice["accounts"] if account["isDefault"]]

    assert defaults() == ["alice@example.com"]
    answer = http.put(
        server.url + "/api/2.0/mail/accounts/default",
        data={"email": "alice@portal.example.com", "isDefault": "true"},
        headers=ALICE,
        timeout=5,
    )
    assert answer.status_code == 200
    assert defaults() == ["alice@portal.example.com"]
