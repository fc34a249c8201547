"""Scenarios changed while the server runs: reset reads the file again, a switch to another file of
the folder, a watcher that reloads on save; and basic_challenge, resolved like the style."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from mockmail import MockMailServer, ScenarioError, create_app, load_scenario
from mockmail.inprocess import requests_session

ACCOUNTS = "/api/2.0/mail/accounts"
RESET = "/_mockmail/reset"
SCENARIO = "/_mockmail/scenario"
FAULTS = "/_mockmail/faults"

Write = Callable[..., Path]
Serve = Callable[..., MockMailServer]


def users(*names: str, extra: str = "") -> str:
    """A scenario of these users, each with token NAME-token and the account NAME@example.com."""
    lines = "".join(
        f"  - {{name: {n}, token: {n}-token, accounts: [{{email: {n}@example.com}}]}}\n" for n in names
    )
    return f"users:\n{lines}{extra}"


def status(server: MockMailServer, user: str) -> int:
    """The status of a GET of the user's accounts with their token."""
    return requests.get(
        server.url + ACCOUNTS, headers={"Authorization": f"{user}-token"}, timeout=5
    ).status_code


def rewrite(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that its stat surely changes (mtime can be coarse)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def wait_for(condition: Callable[[], bool], deadline: float = 3.0) -> None:
    """Poll ``condition`` until it holds; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "not within the deadline"
        time.sleep(0.05)


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start MockMailServers (arguments as its own); each is stopped after the test."""
    servers: list[MockMailServer] = []

    def start(*args: Any, **options: Any) -> MockMailServer:
        server = MockMailServer(*args, **options)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# --- POST /_mockmail/reset reads the file again ----------------------------------------------


def test_reset_over_http_reads_the_file_again(serve: Serve, write_scenario: Write):
    path = write_scenario(users("ann"))
    server = serve(path)
    rewrite(path, users("ben"))
    assert status(server, "ann") == 200  # nothing reads the file until asked
    assert requests.post(server.url + RESET, timeout=5).status_code == 204
    assert (status(server, "ann"), status(server, "ben")) == (401, 200)
    assert server.scenario.users[0].name == "ben"


def test_a_reset_to_a_file_now_bad_is_a_400_and_resets_nothing(serve: Serve, write_scenario: Write):
    path = write_scenario(users("ann"))
    server = serve(path)
    server.add_fault({"name": "kept", "match": {"user": "nobody"}, "respond": "forbidden"})
    requests.put(
        server.url + ACCOUNTS,
        json={"email": "ann@example.com", "name": "Changed"},
        headers={"Authorization": "ann-token"},
        timeout=5,
    )
    rewrite(path, users("ann") + "  - {name: zed, accounts: [{email: zed@example.com, port: imap}]}\n")
    response = requests.post(server.url + RESET, timeout=5)
    error = f"{path}: users[1].accounts[0].port: expected an integer, got 'imap' (line 3)"
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert [fault.name for fault in server.faults()] == ["kept"]
    assert [entry.status for entry in server.journal()] == [200]
    assert server.state.store.accounts(server.scenario.users[0])[0].name == "Changed"
    assert requests.get(server.url + SCENARIO, timeout=5).json()["error"] == error
    rewrite(path, users("ann"))
    assert requests.post(server.url + RESET, timeout=5).status_code == 204
    assert requests.get(server.url + SCENARIO, timeout=5).json()["error"] is None
    assert server.faults() == []


def test_python_reset_reads_no_file_and_reload_does(serve: Serve, write_scenario: Write):
    path = write_scenario(users("ann"))
    server = serve(path)
    path.unlink()
    server.reset()  # the fixture's reset before each test: no file read, so none needed
    assert status(server, "ann") == 200
    write_scenario(users("ben"))
    server.reset()
    assert status(server, "ben") == 401
    server.reload()
    assert status(server, "ben") == 200
    rewrite(path, "users: 5\n")
    with pytest.raises(ScenarioError, match="users: expected a list, got 5"):
        server.reload()
    assert status(server, "ben") == 200
    assert server.state.error is not None
    server.reset(write_scenario(users("cat"), "other.yaml"))  # a scenario given is a load: no error now
    assert (server.state.error, status(server, "cat")) == (None, 200)


def test_a_resets_own_style_outlasts_a_reset_over_http(serve: Serve, write_scenario: Write):
    path = write_scenario(users("ann"))
    server = serve(path)
    server.reset(path, style="docs")  # as the pytest fixture does for a test marked style="docs"
    assert requests.post(server.url + RESET, timeout=5).status_code == 204
    assert server.state.style == "docs"
    server.reset()
    assert server.state.style == "wire"


def test_create_apps_style_is_kept_over_a_switched_scenarios(folder: Path):
    app = create_app(folder / "basic.yaml", style="docs")
    with requests_session(app) as session:
        for name in ("team", "basic"):
            response = session.post("http://localhost" + SCENARIO, json={"name": name}, timeout=5)
            assert (response.status_code, response.json()["style"]) == (200, "docs")


def test_the_bundled_scenario_is_reset_never_read_from_disk(server: MockMailServer, alice):
    server.add_fault({"respond": "forbidden"})
    assert requests.post(server.url + RESET, timeout=5).status_code == 204
    assert requests.get(server.url + ACCOUNTS, headers=alice, timeout=5).status_code == 200
    assert requests.get(server.url + SCENARIO, timeout=5).json() == {
        "source": "(default scenario)",
        "style": "wire",
        "seed": 0,
        "basic_challenge": True,
        "folder": None,
        "available": [],
        "error": None,
    }


def test_requests_that_read_a_scenario_file_are_answered_on_a_worker(server: MockMailServer):
    def environ(method: str, path: str) -> dict[str, str]:
        return {"REQUEST_METHOD": method, "PATH_INFO": path}

    assert server.state.may_block(environ("POST", RESET)) is True
    assert server.state.may_block(environ("POST", SCENARIO)) is True
    assert server.state.may_block(environ("GET", SCENARIO)) is False
    assert server.state.may_block(environ("GET", FAULTS)) is False


# --- GET and POST /_mockmail/scenario: the folder's files, switched between by name -------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of scenarios: basic.yaml, team.yaml, other.yml and files that are not scenarios."""
    for name, text in {
        "basic.yaml": users("ann"),
        "team.yaml": users(
            "tim",
            extra="style: docs\nseed: 7\nfaults: [{name: team-fault, respond: forbidden, "
            "match: {user: nobody}}]\n",
        ),
        "other.yml": users("oli"),
        "notes.txt": "not a scenario",
        ".hidden.yaml": users("hal"),
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.yaml").write_text(users("dee"), encoding="utf-8")
    return tmp_path


def test_get_scenario_shows_the_running_one_and_the_folders_files(serve: Serve, folder: Path):
    server = serve(folder / "basic.yaml")
    assert requests.get(server.url + SCENARIO, timeout=5).json() == {
        "source": str(folder / "basic.yaml"),
        "style": "wire",
        "seed": 0,
        "basic_challenge": True,
        "folder": str(folder),
        "available": ["basic.yaml", "other.yml", "team.yaml"],
        "error": None,
    }


@pytest.mark.parametrize("name", ["team", "team.yaml"])
def test_switching_by_name_is_a_reset_to_the_other_file(serve: Serve, folder: Path, name: str):
    server = serve(folder / "basic.yaml")
    server.add_fault({"name": "mine", "respond": "server_error", "match": {"user": "nobody"}})
    status(server, "ann")
    response = requests.post(server.url + SCENARIO, json={"name": name}, timeout=5)
    assert response.status_code == 200
    shown = response.json()
    assert (shown["source"], shown["style"], shown["seed"]) == (str(folder / "team.yaml"), "docs", 7)
    assert (status(server, "ann"), status(server, "tim")) == (401, 200)
    assert [fault.name for fault in server.faults()] == ["team-fault"]
    assert [entry.user for entry in server.journal()] == [None, "tim"]  # the journal started again
    assert requests.get(server.url + SCENARIO, timeout=5).json() == shown


def test_a_yml_file_is_found_without_its_suffix(serve: Serve, folder: Path):
    server = serve(folder / "basic.yaml")
    assert requests.post(server.url + SCENARIO, json={"name": "other"}, timeout=5).status_code == 200
    assert status(server, "oli") == 200


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("../basic.yaml", "'../basic.yaml' is not a bare file name: a scenario is named without a path"),
        ("sub/deep.yaml", "'sub/deep.yaml' is not a bare file name: a scenario is named without a path"),
        ("..\\basic.yaml", "'..\\\\basic.yaml' is not a bare file name: a scenario is named without a path"),
        ("/etc/passwd", "'/etc/passwd' is not a bare file name: a scenario is named without a path"),
        ("basic\0.yaml", "'basic\\x00.yaml' is not a bare file name: a scenario is named without a path"),
        ("..", "'..' is not a scenario name: it may not start with '.'"),
        (".hidden.yaml", "'.hidden.yaml' is not a scenario name: it may not start with '.'"),
        ("", 'expected a scenario file name, as {"name": "team.yaml"}, got \'\''),
        (5, 'expected a scenario file name, as {"name": "team.yaml"}, got 5'),
        (None, 'expected a scenario file name, as {"name": "team.yaml"}, got None'),
    ],
)
def test_a_name_with_a_path_in_it_is_a_400_and_nothing_changes(
    serve: Serve, folder: Path, name: object, error: str
):
    server = serve(folder / "basic.yaml")
    response = requests.post(server.url + SCENARIO, json={"name": name}, timeout=5)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert server.scenario.source == str(folder / "basic.yaml")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("team", 'expected {"name": "FILE"}, a scenario file of the folder'),
        ('["team"]', 'expected {"name": "FILE"}, a scenario file of the folder'),
        ("{}", 'missing key \'name\'; expected {"name": "FILE"}, a scenario file of the folder'),
        ('{"name": "team", "path": "/etc"}', "unknown key 'path' (allowed: name)"),
    ],
)
def test_a_switch_body_that_is_not_exactly_a_name_is_a_400(serve: Serve, folder: Path, body: str, error: str):
    server = serve(folder / "basic.yaml")
    headers = {"Content-Type": "application/json"}
    response = requests.post(server.url + SCENARIO, data=body, headers=headers, timeout=5)
    assert (response.status_code, response.json()) == (400, {"error": error})


def test_an_unknown_name_is_a_404_listing_the_available_ones(serve: Serve, folder: Path):
    server = serve(folder / "basic.yaml")
    response = requests.post(server.url + SCENARIO, json={"name": "nope"}, timeout=5)
    message = f"no scenario 'nope' in {folder} (available: basic.yaml, other.yml, team.yaml)"
    assert (response.status_code, response.json()) == (404, {"error": message})
    for name in ("notes.txt", "sub"):  # not scenario files, or not files
        assert requests.post(server.url + SCENARIO, json={"name": name}, timeout=5).status_code == 404


def test_a_symlink_out_of_the_folder_is_neither_listed_nor_opened(
    serve: Serve, folder: Path, tmp_path_factory: pytest.TempPathFactory
):
    outside = tmp_path_factory.mktemp("outside") / "secret.yaml"
    outside.write_text(users("eve"), encoding="utf-8")
    (folder / "escape.yaml").symlink_to(outside)
    (folder / "alias.yaml").symlink_to(folder / "other.yml")  # a link within the folder is fine
    server = serve(folder / "basic.yaml")
    listed = requests.get(server.url + SCENARIO, timeout=5).json()["available"]
    assert listed == ["alias.yaml", "basic.yaml", "other.yml", "team.yaml"]
    response = requests.post(server.url + SCENARIO, json={"name": "escape"}, timeout=5)
    assert response.status_code == 404
    assert status(server, "eve") == 401
    assert requests.post(server.url + SCENARIO, json={"name": "alias"}, timeout=5).status_code == 200
    assert status(server, "oli") == 200


def test_a_switch_to_a_bad_file_is_a_400_with_the_located_error_and_nothing_changes(
    serve: Serve, folder: Path
):
    (folder / "broken.yaml").write_text("users:\n  - {name: bad, token: 5, tokne: x}\n", encoding="utf-8")
    server = serve(folder / "basic.yaml")
    server.add_fault({"name": "kept", "match": {"user": "nobody"}, "respond": "forbidden"})
    response = requests.post(server.url + SCENARIO, json={"name": "broken"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"].splitlines() == [
        f"{folder / 'broken.yaml'}: users[0].token: expected a string, got 5 (line 2)",
        f"{folder / 'broken.yaml'}: users[0].tokne: unknown key 'tokne' (allowed: name, password, token, accounts, "
        "default_account) (line 2)",
    ]
    assert server.scenario.source == str(folder / "basic.yaml")
    assert [fault.name for fault in server.faults()] == ["kept"]
    assert requests.get(server.url + SCENARIO, timeout=5).json()["error"] is None  # the running file is fine


def test_scenarios_dir_is_the_folder_even_for_the_bundled_scenario(serve: Serve, folder: Path):
    server = serve(scenarios_dir=folder / "sub")
    shown = requests.get(server.url + SCENARIO, timeout=5).json()
    assert (shown["source"], shown["folder"], shown["available"]) == (
        "(default scenario)",
        str(folder / "sub"),
        ["deep.yaml"],
    )
    assert server.switch_scenario("deep").users[0].name == "dee"
    assert status(server, "dee") == 200
    with pytest.raises(LookupError, match="no scenario 'basic'"):
        server.switch_scenario("basic")  # only the given folder, not the first file's
    with pytest.raises(ValueError, match="not a bare file name"):
        server.switch_scenario("../basic.yaml")


def test_without_a_folder_a_name_is_a_404_and_a_path_still_a_400(server: MockMailServer):
    unknown = requests.post(server.url + SCENARIO, json={"name": "team"}, timeout=5)
    assert unknown.status_code == 404
    assert "start mockmail with --scenarios DIR" in unknown.json()["error"]
    assert requests.post(server.url + SCENARIO, json={"name": "../x"}, timeout=5).status_code == 400


def test_the_servers_style_stays_over_a_switched_scenarios(serve: Serve, folder: Path):
    server = serve(folder / "team.yaml", style="wire")
    assert server.state.style == "wire"
    server.switch_scenario("basic")
    server.switch_scenario("team")
    assert server.state.style == "wire"
    plain = serve(folder / "basic.yaml")
    plain.switch_scenario("team")
    assert plain.state.style == "docs"
    plain.switch_scenario("basic")
    assert plain.state.style == "wire"


def test_a_foreign_page_cannot_switch_or_reset_and_the_token_is_needed(folder: Path):
    with MockMailServer(folder / "basic.yaml") as server:
        foreign = {"Origin": "https://evil.example"}
        switch = requests.post(server.url + SCENARIO, json={"name": "team"}, headers=foreign, timeout=5)
        reset = requests.post(server.url + RESET, headers=foreign, timeout=5)
        assert (switch.status_code, reset.status_code) == (403, 403)
        assert server.scenario.source == str(folder / "basic.yaml")
    with MockMailServer(folder / "basic.yaml", control_token="secret") as server:
        assert requests.get(server.url + SCENARIO, timeout=5).status_code == 401
        assert requests.post(server.url + SCENARIO, json={"name": "team"}, timeout=5).status_code == 401
        bearer = {"Authorization": "Bearer secret"}
        assert requests.post(server.url + SCENARIO, json={"name": "team"}, headers=bearer, timeout=5).ok


# --- watch: reload on save ----------------------------------------------------------------------


def watchers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "mockmail-watch"]


def test_watch_reloads_a_changed_file_and_keeps_running_on_a_bad_one(
    serve: Serve, write_scenario: Write, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="mockmail")
    path = write_scenario(users("ann"))
    server = serve(path, watch=True)
    rewrite(path, users("ben"))
    wait_for(lambda: status(server, "ben") == 200)
    assert f"mockmail: reloaded {path}" in caplog.messages
    rewrite(path, "users:\n  - {name: ann, token: [x]}\n")
    error = f"{path}: users[0].token: expected a string, got a list (line 2)"
    wait_for(lambda: server.state.error == error)
    time.sleep(0.7)  # two more polls: a bad version is tried once, not on every poll
    assert caplog.messages.count(f"mockmail: {path} not reloaded: {error}") == 1
    assert status(server, "ben") == 200
    assert requests.get(server.url + SCENARIO, timeout=5).json()["error"] == error
    rewrite(path, users("cat"))
    wait_for(lambda: status(server, "cat") == 200)
    assert server.state.error is None


def test_watch_follows_a_switch_to_another_file(serve: Serve, folder: Path):
    server = serve(folder / "basic.yaml", watch=True)
    server.switch_scenario("other")
    rewrite(folder / "other.yml", users("oli", "ola"))
    wait_for(lambda: status(server, "ola") == 200)
    rewrite(folder / "basic.yaml", users("bea"))
    time.sleep(0.8)  # two polls: long enough for a watcher of the old file to have reloaded it
    assert status(server, "bea") == 401


def test_watch_knows_the_version_a_scenario_was_read_from(serve: Serve, write_scenario: Write):
    path = write_scenario(users("ann"))
    loaded = load_scenario(path)
    rewrite(path, users("ben"))  # before the server starts, even: the running scenario is stale
    server = serve(loaded, watch=True)
    wait_for(lambda: status(server, "ben") == 200)


def test_watch_waits_for_a_file_that_is_gone_for_a_while(serve: Serve, write_scenario: Write):
    path = write_scenario(users("ann"))
    server = serve(path, watch=True)
    path.unlink()  # as an editor may, between deleting the old version and writing the new
    time.sleep(0.7)
    assert (server.state.error, status(server, "ann")) == (None, 200)
    rewrite(path, users("ben"))
    wait_for(lambda: status(server, "ben") == 200)


def test_the_watcher_stops_with_the_server(write_scenario: Write):
    before = len(watchers())
    server = MockMailServer(write_scenario(users("ann")), watch=True)
    server.start()
    assert len(watchers()) == before + 1
    server.stop()
    assert len(watchers()) == before


def test_without_watch_a_changed_file_is_not_reloaded(serve: Serve, write_scenario: Write):
    path = write_scenario(users("ann"))
    before = len(watchers())
    server = serve(path)
    rewrite(path, users("ben"))
    time.sleep(0.8)
    assert (status(server, "ann"), status(server, "ben")) == (200, 401)
    assert len(watchers()) == before


# --- basic_challenge: the scenario's, or the server's over it -----------------------------------


@pytest.mark.parametrize(
    ("scenario_says", "server_says", "resolved"),
    [
        ("", None, True),
        ("basic_challenge: false\n", None, False),
        ("basic_challenge: false\n", True, True),
        ("", False, False),
    ],
)
def test_basic_challenge_is_the_servers_over_the_scenarios_across_resets(
    serve: Serve, write_scenario: Write, scenario_says: str, server_says: bool | None, resolved: bool
):
    path = write_scenario(users("ann", extra=scenario_says))
    server = serve(path, basic_challenge=server_says)
    assert server.state.basic_challenge is resolved
    server.reset()
    assert requests.post(server.url + RESET, timeout=5).status_code == 204
    assert requests.get(server.url + SCENARIO, timeout=5).json()["basic_challenge"] is resolved
    rewrite(
        path, users("ann", extra="basic_challenge: true\n" if scenario_says else "basic_challenge: false\n")
    )
    server.reload()
    assert server.state.basic_challenge is (resolved if server_says is not None else not resolved)
