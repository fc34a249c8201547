"""`mockmail serve` as its users run it: a real process, a real port, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from mockmail import MockMailServer
from mockmail.cli import main

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = "/api/2.0/mail/accounts"
ALICE = {"Authorization": "864FE52C-1C1C-469F-9308-51DAFEFE7436"}
URL_LINE = re.compile(r"mockmail serving on (http://[0-9.]+:(\d+))")

Spawn = Callable[..., tuple[subprocess.Popen[str], str]]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start `mockmail serve ARGS` and return the process and its URL; never leaves it running."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockmail", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        first = process.stdout.readline()
        match = URL_LINE.fullmatch(first.strip())
        assert match, (
            f"first line was {first!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        )
        return process, match.group(1)

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def interrupt(process: subprocess.Popen[str], signum: int = signal.SIGINT) -> tuple[int, str, str]:
    """Signal the process; its exit code and the rest of its output."""
    process.send_signal(signum)
    assert process.stdout is not None
    assert process.stderr is not None
    # Read through the buffered pipes: the first readline() may have buffered the summary.
    out, err = process.stdout.read(), process.stderr.read()
    return process.wait(timeout=10), out, err


def test_serve_prints_the_url_first_then_a_summary_and_answers(spawn: Spawn):
    process, url = spawn()
    assert (
        requests.put(
            url + ACCOUNTS,
            json={"email": "bob@example.com"},
            headers={"Authorization": "bob-token"},
            timeout=5,
        ).status_code
        == 200
    )
    code, out, err = interrupt(process)
    assert code == 0
    assert out.splitlines()[:4] == [
        "  scenario: (default scenario) (style wire)",
        "  user alice: token 864FE52C-1C1C-469F-9308-51DAFEFE7436; accounts: alice@example.com, alice@portal.example.com",
        "  user bob: token bob-token; accounts: bob@example.com",
        "mockmail stopped: 1 request answered, 0 faults fired",
    ]
    assert "Traceback" not in err


def test_sigterm_stops_cleanly_too(spawn: Spawn):
    process, _ = spawn("--quiet")
    code, _, err = interrupt(process, signal.SIGTERM)
    assert (code, err) == (0, "")


LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (.*) \d+\.\dms")


def logged(err: str) -> list[str]:
    """The log's lines without their time and duration."""
    return [match.group(1) for match in LOG_LINE.finditer(err)]


def test_requests_are_logged_without_query_strings(spawn: Spawn):
    process, url = spawn()
    requests.put(url + ACCOUNTS + "?password=hunter2&email=alice@example.com", headers=ALICE, timeout=5)
    _, _, err = interrupt(process)
    assert logged(err) == ["PUT /api/2.0/mail/accounts 200 user=alice email=alice@example.com"]
    assert "hunter2" not in err


def test_the_log_says_who_which_account_and_why(spawn: Spawn):
    process, url = spawn()
    requests.put(
        url + ACCOUNTS, data={"email": "bob@example.com"}, headers={"Authorization": "nope"}, timeout=5
    )
    requests.put(url + ACCOUNTS, json={"email": "bob@example.com"}, headers=ALICE, timeout=5)
    requests.post(url + "/_mockmail/faults", json={"name": "down", "respond": "unavailable"}, timeout=5)
    requests.get(url + ACCOUNTS, headers=ALICE, timeout=5)
    requests.get(url + "/_mockmail/journal", timeout=5)
    _, _, err = interrupt(process)
    assert logged(err) == [
        'PUT /api/2.0/mail/accounts 401 user=- email=bob@example.com reason="no user has this token"',
        "PUT /api/2.0/mail/accounts 500 user=alice email=bob@example.com "
        'reason="alice has no account bob@example.com (it is bob\'s)"',
        "GET /api/2.0/mail/accounts 503 user=alice email=- fault=down",
    ]  # the control endpoints (the workbench polls them) stay out of the log
    assert "bob-token" not in err


def test_what_the_journal_does_not_see_is_logged_plainly(spawn: Spawn):
    process, url = spawn()
    refused = requests.put(url + ACCOUNTS, headers={**ALICE, "Host": "rebound.example"}, timeout=5)
    preflight = requests.options(
        url + ACCOUNTS,
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT"},
        timeout=5,
    )
    _, _, err = interrupt(process)
    assert (refused.status_code, preflight.status_code) == (403, 200)
    assert logged(err) == ["PUT /api/2.0/mail/accounts 403", "OPTIONS /api/2.0/mail/accounts 200"]


def test_a_path_cannot_forge_a_log_line(spawn: Spawn):
    process, url = spawn()
    forged = "/api/x%0A2026-01-01%2000:00:00,000%20PUT%20/api/2.0/mail/accounts%20200%1B[31m"
    requests.get(url + forged, headers=ALICE, timeout=5)
    _, _, err = interrupt(process)
    assert err.count("\n") == 1
    assert logged(err) == [
        "GET /api/x\\n2026-01-01 00:00:00,000 PUT /api/2.0/mail/accounts 200\\x1b[31m 404 user=alice email=-"
        ' reason="mockmail does not mock GET /api/x\\\\n2026-01-01 00:00:00,000 PUT /api/2.0/mail/accounts'
        ' 200\\\\x1b[31m"'
    ]


def test_every_line_is_in_the_log_in_order_when_it_stops_at_once(spawn: Spawn):
    process, url = spawn()
    with requests.Session() as session:
        for n in range(200):
            session.put(
                url + ACCOUNTS, json={"email": "alice@example.com", "name": f"n{n}"}, headers=ALICE, timeout=5
            )
        session.get(url + ACCOUNTS + f"/{'x' * 10}", headers=ALICE, timeout=5)
    _, _, err = interrupt(process)  # within the tenth of a second the lines may wait to be written
    lines = logged(err)
    assert len(lines) == 201
    assert lines[-1].startswith("GET /api/2.0/mail/accounts/xxxxxxxxxx 404")


def test_style_flag_overrides_the_scenario(spawn: Spawn):
    process, url = spawn("--style", "docs", "--quiet")
    body = requests.get(url + ACCOUNTS, headers=ALICE, timeout=5).json()
    interrupt(process)
    assert isinstance(body, list)
    assert body[0]["Email"] == "alice@example.com"


def test_scenario_flag_loads_the_file(spawn: Spawn, write_scenario: Callable[[str], Path]):
    path = write_scenario("users:\n  - {name: zed, token: zed-token, accounts: [{email: zed@example.com}]}\n")
    process, url = spawn("--scenario", str(path), "--quiet")
    response = requests.get(url + ACCOUNTS, headers={"Authorization": "zed-token"}, timeout=5)
    _, out, _ = interrupt(process)
    assert response.json()["response"][0]["email"] == "zed@example.com"
    assert f"scenario: {path} (style wire)" in out


def test_a_bad_scenario_is_a_located_message_not_a_traceback(write_scenario: Callable[[str], Path]):
    path = write_scenario("users:\n  - name: a\n    accounts:\n      - {email: a@b.c, port: imap}\n")
    result = subprocess.run(
        [sys.executable, "-m", "mockmail", "serve", "--port", "0", "--scenario", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        result.stderr
        == f"Error: {path}: users[0].accounts[0].port: expected an integer, got 'imap' (line 4)\n"
    )


def test_a_port_in_use_is_a_clear_message_that_suggests_port_0():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve"], env={"MOCKMAIL_PORT": str(port)})
    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use; "
        "another mockmail? --port 0 picks a free port\n"
    )


def test_help_lists_the_options_with_defaults_and_variables():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    output = " ".join(result.output.split())
    for text in (
        "--host TEXT",
        "[env var: MOCKMAIL_HOST; default: 127.0.0.1]",
        "--port INTEGER RANGE",
        "[env var: MOCKMAIL_PORT; default: 8025; 0<=x<=65535]",
        "--scenario FILE",
        "--style [wire|docs]",
        "--record-mode [none|once|new|all] With --replay: none: only replays and never touches the network;",
        "[env var: MOCKMAIL_RECORD_MODE; default: none]",
        "[env var: MOCKMAIL_ON_MISS; default: fail]",
        "--scenarios DIR",
        "--watch",
        "--no-basic-challenge",
    ):
        assert text in output
    for name in ("SCENARIO", "STYLE", "REPLAY", "UPSTREAM", "SCENARIOS", "WATCH", "QUIET", "CORS_ORIGIN"):
        assert re.search(rf"env var: MOCKMAIL_{name}[;\]]", output), name


def test_record_says_its_own_default_mode():
    output = " ".join(CliRunner().invoke(main, ["record", "--help"]).output.split())
    assert "--record-mode [none|once|new|all] For OUT: none: only replays" in output
    assert "[env var: MOCKMAIL_RECORD_MODE; default: all]" in output
    assert "--mode [" not in output  # the old name is taken, not listed
    assert "The old name of --record-mode, --mode, is still taken (deprecated)." in output


@pytest.mark.parametrize(
    "option", [["--upstream", "http://portal.test"], ["--record-mode", "new"], ["--on-miss", "fallthrough"]]
)
def test_replay_options_without_replay_are_a_usage_error(option: list[str]):
    result = CliRunner().invoke(main, ["serve", *option])
    assert result.exit_code == 2
    assert f"Error: {option[0]} applies only with --replay (the recording to answer from)" in result.output


def test_replay_options_from_the_environment_without_replay_are_ignored():
    with socket.socket() as taken:  # stops the server at binding: the options were let through
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {"MOCKMAIL_UPSTREAM": "http://portal.test", "MOCKMAIL_PORT": str(taken.getsockname()[1])}
        result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 1
    assert "cannot listen" in result.output


def test_record_mode_is_read_from_the_environment(tmp_path: Path):
    result = CliRunner().invoke(
        main, ["serve", "--replay", str(tmp_path / "x.yaml")], env={"MOCKMAIL_RECORD_MODE": "nwe"}
    )
    assert result.exit_code == 2
    assert "'nwe' is not a record mode; valid: 'none', 'once', 'new', 'all'" in result.output


def test_record_takes_its_old_mode_option_with_a_warning(tmp_path: Path):
    arguments = ["record", "--upstream", "http://127.0.0.1:9", "--out", str(tmp_path / "missing.yaml")]
    result = CliRunner().invoke(main, [*arguments, "--mode", "none"])
    assert result.exit_code == 1
    assert result.stderr == (
        "mockmail: --mode is deprecated; use --record-mode\n"
        f"Error: {tmp_path / 'missing.yaml'}: no such recording "
        "(record mode 'none' only replays and never touches the network)\n"
    )
    both = CliRunner().invoke(main, [*arguments, "--mode", "none", "--record-mode", "all"])
    assert both.exit_code == 2
    assert "--mode is the old name of --record-mode: give --record-mode only" in both.output


def test_bound_beyond_loopback_it_warns_hides_tokens_and_guards_control(spawn: Spawn):
    process, url = spawn("--host", "0.0.0.0")
    assert url.startswith("http://0.0.0.0:")
    local = url.replace("0.0.0.0", "127.0.0.1")
    assert requests.get(local + "/_mockmail/faults", timeout=5).status_code == 401
    assert requests.get(local + ACCOUNTS, headers=ALICE, timeout=5).status_code == 200
    _, out, err = interrupt(process)
    token = re.search(
        r"^  control token: (\S+) \(/_mockmail/ needs Authorization: Bearer TOKEN\)$", out, re.M
    )
    assert token, out
    assert "  user bob: token in the scenario file; accounts: bob@example.com" in out
    assert "bob-token" not in out
    assert "864FE52C" not in out
    assert "warning: 0.0.0.0 is reachable from other machines" in err


def test_a_made_up_control_token_opens_control(spawn: Spawn):
    process, url = spawn("--host", "0.0.0.0", "--quiet")
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(4)]
    token = next(line.split()[2] for line in lines if line.startswith("  control token: "))
    local = url.replace("0.0.0.0", "127.0.0.1")
    answer = requests.get(
        local + "/_mockmail/faults", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    interrupt(process)
    assert answer.status_code == 200


def test_a_given_control_token_is_required_and_not_printed(spawn: Spawn):
    process, url = spawn("--control-token", "team-secret", "--quiet")
    refused = requests.post(url + "/_mockmail/reset", timeout=5).status_code
    allowed = requests.post(
        url + "/_mockmail/reset", headers={"Authorization": "Bearer team-secret"}, timeout=5
    ).status_code
    _, out, _ = interrupt(process)
    assert (refused, allowed) == (401, 204)
    assert "team-secret" not in out
    assert "user bob: token bob-token" in out  # on loopback the summary keeps the tokens


def test_origins_and_hosts_are_added_on_the_command_line(spawn: Spawn):
    process, url = spawn(
        "--cors-origin", "http://ui.example.test:3000", "--allow-host", "mock.test", "--quiet"
    )
    read = requests.get(url + ACCOUNTS, headers={**ALICE, "Origin": "http://ui.example.test:3000"}, timeout=5)
    named = requests.get(url + ACCOUNTS, headers={**ALICE, "Host": "mock.test:8025"}, timeout=5)
    other = requests.get(url + ACCOUNTS, headers={**ALICE, "Host": "other.test"}, timeout=5)
    interrupt(process)
    assert read.headers["Access-Control-Allow-Origin"] == "http://ui.example.test:3000"
    assert (named.status_code, other.status_code) == (200, 403)


def test_a_malformed_origin_is_a_usage_error():
    result = CliRunner().invoke(main, ["serve", "--cors-origin", "localhost:3000"])
    assert result.exit_code == 2
    assert (
        "Invalid value for '--cors-origin' (env var: 'MOCKMAIL_CORS_ORIGIN'): 'localhost:3000' is not an origin"
        in (result.output)
    )


def rewrite(path: Path, text: str) -> None:
    """Write ``text`` so that the file's stat surely changes (mtime can be coarse)."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def wait_for_status(url: str, token: str, expected: int, deadline: float = 3.0) -> None:
    end = time.monotonic() + deadline
    while requests.get(url + ACCOUNTS, headers={"Authorization": token}, timeout=5).status_code != expected:
        assert time.monotonic() < end, f"{token} did not get {expected} within {deadline} s"
        time.sleep(0.05)


def test_watch_reloads_the_scenario_on_save_and_logs_each_reload(
    spawn: Spawn, write_scenario: Callable[[str], Path]
):
    path = write_scenario("users: [{name: ann, token: ann-token}]\n")
    process, url = spawn("--scenario", str(path), "--watch", "--quiet")
    rewrite(path, "users: [{name: ben, token: ben-token}]\n")
    wait_for_status(url, "ben-token", 200)
    rewrite(path, "users: [{name: cat, token: 5}]\n")
    error = f"{path}: users[0].token: expected a string, got 5 (line 1)"
    end = time.monotonic() + 3
    while requests.get(url + "/_mockmail/scenario", timeout=5).json()["error"] != error:
        assert time.monotonic() < end
        time.sleep(0.05)
    still = requests.get(url + ACCOUNTS, headers={"Authorization": "ben-token"}, timeout=5).status_code
    code, _, err = interrupt(process)
    assert (still, code) == (200, 0)
    assert re.search(rf"mockmail: reloaded {re.escape(str(path))}$", err, re.MULTILINE)
    assert re.search(
        rf"mockmail: {re.escape(str(path))} not reloaded: {re.escape(error)}$", err, re.MULTILINE
    )
    assert "Traceback" not in err


def test_scenarios_names_the_folder_to_switch_within(spawn: Spawn, tmp_path: Path):
    (tmp_path / "team.yaml").write_text("users: [{name: tim, token: tim-token}]\n", encoding="utf-8")
    process, url = spawn("--scenarios", str(tmp_path), "--quiet")
    shown = requests.get(url + "/_mockmail/scenario", timeout=5).json()
    switched = requests.post(url + "/_mockmail/scenario", json={"name": "team"}, timeout=5)
    tim = requests.get(url + ACCOUNTS, headers={"Authorization": "tim-token"}, timeout=5).status_code
    interrupt(process)
    assert (shown["folder"], shown["available"]) == (str(tmp_path), ["team.yaml"])
    assert (switched.status_code, tim) == (200, 200)


def test_no_basic_challenge_is_the_servers_setting(spawn: Spawn):
    process, url = spawn("--no-basic-challenge", "--quiet")
    plain, plain_url = spawn("--quiet")
    without = requests.get(url + "/_mockmail/scenario", timeout=5).json()["basic_challenge"]
    with_it = requests.get(plain_url + "/_mockmail/scenario", timeout=5).json()["basic_challenge"]
    interrupt(process)
    interrupt(plain)
    assert (without, with_it) == (False, True)


def test_a_missing_scenarios_folder_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["serve", "--scenarios", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "Invalid value for '--scenarios' (env var: 'MOCKMAIL_SCENARIOS'): Directory" in result.output


def test_the_summary_of_a_large_scenario_stays_short(spawn: Spawn, write_scenario: Callable[[str], Path]):
    users = "".join(
        f"  - {{name: u{n}, token: t{n}, accounts: [{', '.join(f'{{email: a{k}@u{n}.test}}' for k in range(12))}]}}\n"
        for n in range(25)
    )
    process, _ = spawn("--scenario", str(write_scenario("users:\n" + users)), "--quiet")
    _, out, _ = interrupt(process)
    lines = out.splitlines()
    assert len(lines) == 1 + 20 + 1 + 1  # scenario, 20 users, "and 5 more users", stopped
    assert lines[1] == (
        "  user u0: token t0; accounts: " + ", ".join(f"a{k}@u0.test" for k in range(10)) + " and 2 more"
    )
    assert lines[21] == "  and 5 more users (GET /_mockmail/users lists them)"


def test_a_bundled_scenario_by_name_and_the_stop_line_counts(spawn: Spawn):
    process, url = spawn("--scenario", "team", "--quiet")
    carol = {"Authorization": "carol-token"}
    requests.post(
        url + "/_mockmail/faults", json={"name": "once", "times": 1, "respond": "unavailable"}, timeout=5
    )
    statuses = [requests.get(url + ACCOUNTS, headers=carol, timeout=5).status_code for _ in range(3)]
    code, out, _ = interrupt(process)
    assert (code, statuses) == (0, [503, 200, 200])
    lines = out.splitlines()
    assert re.fullmatch(r"  scenario: .*team\.yaml \(style wire\)", lines[0])
    assert lines[1].startswith("  user carol: token carol-token; ")
    assert lines[-1] == "mockmail stopped: 3 requests answered, 1 fault fired"


def test_a_replay_that_records_prints_where_misses_go_and_counts_exchanges(spawn: Spawn, tmp_path: Path):
    path = tmp_path / "new.yaml"
    with MockMailServer() as portal:
        process, url = spawn(
            "--replay", str(path), "--record-mode", "once", "--upstream", portal.url, "--quiet"
        )
        for _ in range(2):
            requests.get(url + ACCOUNTS, headers={"Authorization": "bob-token"}, timeout=5)
        _, out, _ = interrupt(process)
    assert out.splitlines() == [
        f"  recording: {path} (record mode once: records if the file does not exist yet, then only replays)",
        f"  what it does not answer goes to {portal.url} and is recorded",
        "mockmail stopped: 2 requests answered, 0 faults fired, 2 exchanges recorded",
    ]  # no scenario, users or tokens: they answer nothing here


def test_a_replay_prints_only_what_applies(spawn: Spawn):
    recording = ROOT / "fixtures" / "recordings" / "web-client-session.yaml"
    process, _ = spawn("--replay", str(recording), "--quiet")
    fallthrough, _ = spawn("--replay", str(recording), "--on-miss", "fallthrough", "--quiet")
    _, out, _ = interrupt(process)
    _, through, _ = interrupt(fallthrough)
    assert out.splitlines() == [
        f"  recording: {recording} (record mode none: only replays and never touches the network)",
        "  what it does not match gets a 404 naming the closest recorded request (on a miss: fail)",
        "mockmail stopped: 0 requests answered, 0 faults fired",
    ]
    assert through.splitlines()[1:3] == [
        "  what it does not match is answered from the scenario (on a miss: fallthrough)",
        "  scenario: (default scenario) (style wire)",
    ]


def test_the_stop_line_counts_requests_the_journal_no_longer_holds(spawn: Spawn):
    process, url = spawn("--quiet")
    requests.get(url + ACCOUNTS, headers=ALICE, timeout=5)
    requests.post(url + "/_mockmail/reset", timeout=5)
    requests.get(url + ACCOUNTS, headers=ALICE, timeout=5)
    requests.delete(url + "/_mockmail/journal", timeout=5)
    _, out, _ = interrupt(process)
    assert out.splitlines()[-1] == "mockmail stopped: 2 requests answered, 0 faults fired"
