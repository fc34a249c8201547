"""The workbench page in a real Chromium: offline, live, and driving the mock as a front-end developer would.

A second page on another local origin (conftest.py's ``page_host``) plays the developer's app.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from mockmail import MockMailServer

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "workbench.png"
ACCOUNTS = "/api/2.0/mail/accounts"
BOB = {"Authorization": "bob-token"}
ALICE = {"Authorization": "864FE52C-1C1C-469F-9308-51DAFEFE7436"}
EXPIRED_TOKEN = "Next save gets an expired token (401, once)"
LIVE_MS = 2_000  # a request shows in the journal within this

# The ONLYOFFICE web client's save: jQuery's form-encoded PUT to the `.json` path with a cache-buster,
# the token in the `asc_auth_key` cookie, sent cross-origin with credentials.
WEB_CLIENT_SAVE = """async ([mock, name]) => {
    const body = new URLSearchParams({
        email: "bob@example.com", name, account: "bob@example.com", password: "",
        smtp_account: "bob@example.com", smtp_password: "", restrict: "false",
    });
    const answer = await fetch(`${mock}/api/2.0/mail/accounts.json?__=${Date.now()}`, {
        method: "PUT",
        credentials: "include",
        headers: {
            "Accept": "application/json, text/javascript, */*; q=0.01",
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        },
        body,
    });
    return {status: answer.status, body: await answer.text()};
}"""
PUT_AS_BOB = """async ([mock, name]) => {
    try {
        const answer = await fetch(`${mock}/api/2.0/mail/accounts`, {
            method: "PUT",
            headers: {"Authorization": "bob-token", "Content-Type": "application/json"},
            body: JSON.stringify({email: "bob@example.com", name}),
        });
        return {status: answer.status, body: await answer.text()};
    } catch (error) {
        return {error: error.name};
    }
}"""
BASIC = """version: 1
users:
  - name: alice
    token: alice-token
    accounts:
      - {email: alice@example.com, name: Alice}
  - name: bob
    token: bob-token
    accounts:
      - {email: bob@example.com, name: Bob}
"""


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of two scenario files to switch between: basic.yaml and a copy of team.yaml."""
    (tmp_path / "basic.yaml").write_text(BASIC, encoding="utf-8")
    shutil.copy(ROOT / "scenarios" / "team.yaml", tmp_path / "team.yaml")
    return tmp_path


@pytest.fixture
def folder_server(folder: Path) -> Iterator[MockMailServer]:
    with MockMailServer(folder / "basic.yaml", watch=True) as server:
        yield server


def open_workbench(page: Page, server: MockMailServer) -> Page:
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", name="alice")).to_be_visible()
    return page


def account_line(page: Page, email: str) -> Any:
    return page.locator("#users summary").filter(has_text=email)


def test_the_page_loads_offline_with_no_console_error(page, server):
    problems: list[str] = []
    elsewhere: list[str] = []
    answers: dict[str, int] = {}
    page.on("console", lambda message: message.type in ("error", "warning") and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"{request.url}: {request.failure}"))
    page.on(
        "request", lambda request: request.url.startswith(server.url + "/") or elsewhere.append(request.url)
    )
    page.on(
        "response",
        lambda response: answers.__setitem__(response.url.removeprefix(server.url), response.status),
    )

    open_workbench(page, server)
    expect(page.get_by_text("(default scenario)")).to_be_visible()
    page.wait_for_timeout(800)  # a few polls

    assert problems == []
    assert elsewhere == []
    assert answers["/"] == 302
    assert {path: answers.get(path) for path in ("/_mockmail/", "/_mockmail/static/favicon.svg")} == {
        "/_mockmail/": 200,
        "/_mockmail/static/favicon.svg": 200,
    }
    assert [path for path, status in answers.items() if status >= 400] == []


def test_a_preset_fails_the_next_put_from_another_local_origin_and_shows_in_the_journal(
    browser_context: BrowserContext, page_host, server
):
    workbench = open_workbench(browser_context.new_page(), server)
    app = browser_context.new_page()
    app.goto(page_host.local)

    workbench.get_by_label(EXPIRED_TOKEN).check()
    expect(workbench.locator("#faults").get_by_text("preset/expired-token")).to_be_visible()
    first = app.evaluate(PUT_AS_BOB, [server.url, "First"])
    sent = time.monotonic()
    row = workbench.locator("#journal .entry").filter(has_text="preset/expired-token")
    expect(row).to_be_visible(timeout=LIVE_MS)
    shown_after = time.monotonic() - sent
    second = app.evaluate(PUT_AS_BOB, [server.url, "Second"])

    assert first["status"] == 401
    assert first["body"] == "Unauthorized"
    assert second["status"] == 200
    assert shown_after < LIVE_MS / 1000
    workbench.bring_to_front()  # a tab behind another runs no animation frame, which clicks wait for
    row.locator("summary").click()
    expect(row.get_by_text("First")).to_be_visible()  # the request's fields
    expect(workbench.get_by_label(EXPIRED_TOKEN)).to_be_checked()
    expect(workbench.locator("#faults tr").filter(has_text="preset/expired-token")).to_contain_text("2")


def test_a_preset_switched_off_deletes_its_fault(page, server):
    open_workbench(page, server)

    page.get_by_label(EXPIRED_TOKEN).check()
    expect(page.locator("#fault-message")).to_have_text("Added fault preset/expired-token.")
    page.get_by_label(EXPIRED_TOKEN).uncheck()
    expect(page.locator("#fault-message")).to_have_text("Deleted fault preset/expired-token.")

    assert server.faults() == []


def test_faults_are_added_by_keyboard_switched_off_and_deleted(page, server):
    open_workbench(page, server)

    page.get_by_label("Fault name").focus()
    page.keyboard.type("auth/expired")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the kind after unauthorized: expire_token
    page.get_by_label("Match method").select_option("PUT")
    page.get_by_label("Fault name").press("Enter")
    expect(page.locator("#fault-message")).to_have_text("Added fault auth/expired.")
    switch = page.get_by_role("switch", name="auth/expired on")
    expect(switch).to_be_checked()

    switch.press("Space")
    expect(page.locator("#fault-message")).to_have_text("Fault auth/expired is off.")
    expect(switch).to_be_focused()  # the list was drawn again; the focus stayed on the switch
    off = [(fault.name, fault.enabled, dict(fault.spec)) for fault in server.faults()]
    page.get_by_role("button", name="Delete fault auth/expired").press("Enter")
    expect(page.locator("#fault-message")).to_have_text("Deleted fault auth/expired.")

    assert off == [
        (
            "auth/expired",
            False,
            {"name": "auth/expired", "match": {"method": "PUT"}, "respond": "expire_token"},
        )
    ]
    assert server.faults() == []


def test_a_pasted_json_fault_is_added_and_a_bad_one_explained(page, server):
    open_workbench(page, server)
    paste = page.get_by_label("Or paste a fault as JSON (the scenario's shape; JSON only, not YAML)")

    paste.fill('{"name": "slow", "respond": {"delay_ms": "soon"}}')
    page.get_by_role("button", name="Add pasted fault").click()
    expect(page.locator("#fault-message")).to_contain_text("Not added: ")
    expect(page.locator("#fault-message")).to_contain_text("delay_ms")
    paste.fill("name: slow")
    page.get_by_role("button", name="Add pasted fault").click()
    expect(page.locator("#fault-message")).to_contain_text("that is not JSON")
    paste.fill('{"name": "slow", "match": {"user": "bob"}, "respond": {"delay_ms": 1}}')
    page.get_by_role("button", name="Add pasted fault").click()
    expect(page.locator("#fault-message")).to_have_text("Added fault slow.")

    assert [(fault.name, dict(fault.spec)["respond"]) for fault in server.faults()] == [
        ("slow", {"delay_ms": 1})
    ]


def test_the_journal_filters_by_status_and_user(page, server):
    server.add_fault({"name": "bob-fails", "match": {"user": "bob"}, "respond": "server_error"})
    requests.get(server.url + ACCOUNTS, headers=ALICE, timeout=5)
    requests.get(server.url + ACCOUNTS, headers=BOB, timeout=5)
    open_workbench(page, server)
    entries = page.locator("#journal .entry:visible")
    expect(entries).to_have_count(2)

    page.get_by_label("Status", exact=True).fill("5xx")
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text("bob-fails")
    page.get_by_label("Status", exact=True).fill("")
    page.locator("#filter-user").fill("alice")
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text("200")
    expect(page.locator("#journal-count")).to_have_text("1 of 2 requests shown.")


def test_reset_revoke_reload_and_switch(page, folder, folder_server):
    server = folder_server
    open_workbench(page, server)

    page.get_by_role("button", name="Revoke bob's token").click()
    expect(page.locator("#users")).to_contain_text("revoked")
    revoked = requests.put(server.url + ACCOUNTS, json={"email": "bob@example.com"}, headers=BOB, timeout=5)
    expect(account_line(page, "bob@example.com")).to_contain_text("Bob")

    page.get_by_role("button", name="Reset").click()
    expect(page.locator("#users")).not_to_contain_text("revoked")
    saved = requests.put(
        server.url + ACCOUNTS, json={"email": "bob@example.com", "name": "Robert"}, headers=BOB, timeout=5
    )
    expect(account_line(page, "bob@example.com")).to_contain_text("changed: name")

    (folder / "basic.yaml").write_text(BASIC.replace("name: Bob}", "name: Bobby}"), encoding="utf-8")
    page.get_by_role("button", name="Reload file from disk").click()
    expect(account_line(page, "bob@example.com")).to_contain_text("“Bobby”")
    expect(account_line(page, "bob@example.com")).not_to_contain_text("changed")

    page.get_by_label("Switch to").select_option("team.yaml")
    page.get_by_role("button", name="Switch scenario").click()
    expect(page.locator("#scenario-source")).to_contain_text("team.yaml")
    expect(page.locator("#scenario-message")).to_have_text("Switched to team.yaml.")

    assert revoked.status_code == 401
    assert saved.status_code == 200
    assert server.scenario.source.endswith("team.yaml")
    assert [user.name for user in server.scenario.users] == [
        user.get_attribute("aria-label").removeprefix("user ")
        for user in page.locator("#users article").all()
    ]


def test_a_bad_file_shows_its_located_error_on_reload_and_under_watch(page, folder, folder_server):
    open_workbench(page, folder_server)
    scenario = folder / "basic.yaml"

    scenario.write_text(BASIC.replace("{email: bob@example.com, name: Bob}", "{email: bob, port: imap}"))
    page.get_by_role("button", name="Reload file from disk").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("basic.yaml: users[1].accounts[0]")
    expect(banner).to_contain_text("(line 10)")
    expect(page.locator("#scenario-message")).to_contain_text("Not reset: ")

    scenario.write_text(BASIC.replace("name: Bob}", "name: Watched}"), encoding="utf-8")
    expect(account_line(page, "bob@example.com")).to_contain_text("Watched", timeout=5_000)
    expect(banner).to_be_hidden()
    scenario.write_text(BASIC.replace("token: bob-token", "tokne: bob-token"), encoding="utf-8")
    expect(banner).to_contain_text("unknown key 'tokne'", timeout=5_000)
    expect(account_line(page, "bob@example.com")).to_contain_text("Watched")  # the last good one runs


def test_the_web_clients_own_save_from_another_local_origin(browser_context, page_host, server):
    mock = f"http://localhost:{server.port}"  # same site as the app's page, so its cookie goes along
    browser_context.add_cookies([{"name": "asc_auth_key", "value": "bob-token", "url": mock}])
    workbench = open_workbench(browser_context.new_page(), server)
    app = browser_context.new_page()
    app.goto(page_host.local)

    answer = app.evaluate(WEB_CLIENT_SAVE, [mock, "Saved by the web client"])

    assert answer["status"] == 200
    assert '"name":"Saved by the web client"' in answer["body"]
    assert '"statusCode":200' in answer["body"]
    line = account_line(workbench, "bob@example.com")
    expect(line).to_contain_text("Saved by the web client", timeout=LIVE_MS)
    expect(line).to_contain_text("changed: name")
    row = workbench.locator("#journal .entry").first
    expect(row).to_contain_text("/api/2.0/mail/accounts.json")
    expect(row).to_contain_text("bob")


def test_a_control_token_is_asked_for_and_kept_for_the_tab(page, default):
    with MockMailServer(default, control_token="sesame") as server:
        page.goto(server.url + "/_mockmail/")
        field = page.get_by_role("textbox", name="Control token")
        expect(field).to_be_visible()
        field.fill("wrong")
        field.press("Enter")
        expect(page.locator("#token-message")).to_contain_text("That token was refused")
        field.fill("sesame")
        field.press("Enter")
        expect(page.get_by_role("heading", name="alice")).to_be_visible()
        page.reload()
        expect(page.get_by_role("heading", name="alice")).to_be_visible()
        hidden = page.locator("#token-panel").is_hidden()
        kept = page.evaluate("sessionStorage.getItem('mockmail.controlToken')")

    assert hidden
    assert kept == "sesame"


def test_readable_at_1280_and_400_pixels_and_the_screenshot(page, server):
    server.add_fault(
        {
            "name": "auth/expired",
            "match": {"method": "PUT", "user": "bob"},
            "times": 1,
            "respond": "unauthorized",
        }
    )
    for name in ("Bob", "Bob B."):
        requests.put(
            server.url + ACCOUNTS,
            json={"email": "bob@example.com", "name": name, "password": "s3cret"},
            headers=BOB,
            timeout=5,
        )
    requests.get(server.url + ACCOUNTS, headers=ALICE, timeout=5)
    page.set_viewport_size({"width": 1280, "height": 800})
    open_workbench(page, server)
    expect(page.locator("#journal .entry")).to_have_count(3)
    page.locator("#journal .entry").nth(1).locator("summary").click()
    expect(
        page.locator("#journal").get_by_role("cell", name="***").first
    ).to_be_visible()  # the password, masked
    wide = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    if not SCREENSHOT.exists() or os.environ.get("MOCKMAIL_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.mouse.move(0, 0)
        page.screenshot(path=SCREENSHOT)

    page.set_viewport_size({"width": 400, "height": 800})
    narrow = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")

    assert wide[0] <= wide[1]
    assert narrow[0] <= narrow[1]  # nothing scrolls sideways on a narrow window
