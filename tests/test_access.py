"""Who may use the mock from a browser: local Hosts and Origins only, no cross-site control writes."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from mockmail import MockMailServer, Replay
from mockmail.inprocess import requests_session
from mockmail.scenarios import Scenario

ACCOUNTS = "/api/2.0/mail/accounts"
BOB = {"Authorization": "bob-token"}
EVIL = "https://evil.example"


def raw_status(server: MockMailServer, host: str) -> bytes:
    """The status line answered to a GET carrying ``Host: host``."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(f"GET {ACCOUNTS} HTTP/1.1\r\nHost: {host}\r\nAuthorization: bob-token\r\n\r\n".encode())
        return sock.recv(4096).partition(b"\r\n")[0]


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8025", "app.localhost:3000", "127.0.0.1", "[::1]:8025", "LOCALHOST"]
)
def test_local_host_names_are_answered(server: MockMailServer, host: str):
    assert raw_status(server, host) == b"HTTP/1.1 200 OK"


@pytest.mark.parametrize(
    "host", ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "[::2]", "10.0.0.1"]
)
def test_a_foreign_host_is_refused_as_dns_rebinding_would_need(server: MockMailServer, host: str):
    assert raw_status(server, host) == b"HTTP/1.1 403 Forbidden"


def test_the_refusal_names_the_host_in_the_apis_error_envelope(server: MockMailServer):
    answer = requests.get(server.url + ACCOUNTS, headers={"Host": "evil.example", **BOB}, timeout=5)
    assert answer.status_code == 403
    message = answer.json()["error"]["message"]
    assert "'evil.example'" in message
    assert "--allow-host" in message


def test_an_added_host_is_answered():
    with MockMailServer(allowed_hosts=["mock.test", ".dev.test"]) as server:
        assert raw_status(server, "mock.test:8025") == b"HTTP/1.1 200 OK"
        assert raw_status(server, "api.dev.test") == b"HTTP/1.1 200 OK"
        assert raw_status(server, "evil.example") == b"HTTP/1.1 403 Forbidden"


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:5173",
        "https://localhost",
        "http://app.localhost:3000",
        "http://127.0.0.1:8080",
        "http://[::1]:3000",
    ],
)
def test_a_local_origin_may_read_answers(server: MockMailServer, origin: str):
    answer = requests.get(server.url + ACCOUNTS, headers={"Origin": origin, **BOB}, timeout=5)
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize(
    "origin", [EVIL, "null", "http://localhost.evil.example", "http://evil.example/localhost", "file://"]
)
@pytest.mark.parametrize("path", [ACCOUNTS, "/_mockmail/journal"])
def test_a_foreign_origin_gets_no_cors_header_on_any_path(server: MockMailServer, origin: str, path: str):
    answer = requests.get(server.url + path, headers={"Origin": origin, **BOB}, timeout=5)
    assert answer.status_code == 200  # answered, but the browser will not let the page read it
    assert not [name for name in answer.headers if name.lower().startswith("access-control-")]


def test_a_foreign_preflight_learns_nothing_not_even_private_network_access(server: MockMailServer):
    headers = {
        "Origin": EVIL,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Private-Network": "true",
    }
    answer = requests.options(server.url + ACCOUNTS, headers=headers, timeout=5)
    assert not [name for name in answer.headers if name.lower().startswith("access-control-")]
    answer = requests.options(
        server.url + ACCOUNTS, headers={**headers, "Origin": "http://localhost:3000"}, timeout=5
    )
    assert answer.headers["Access-Control-Allow-Private-Network"] == "true"


def test_an_added_origin_or_any_may_read_answers():
    with MockMailServer(cors_origins=["https://ui.example.test/"]) as server:
        answer = requests.get(
            server.url + ACCOUNTS, headers={"Origin": "https://ui.example.test", **BOB}, timeout=5
        )
        assert answer.headers["Access-Control-Allow-Origin"] == "https://ui.example.test"
    with MockMailServer(cors_origins=["*"]) as server:
        answer = requests.get(server.url + ACCOUNTS, headers={"Origin": EVIL, **BOB}, timeout=5)
        assert answer.headers["Access-Control-Allow-Origin"] == EVIL


def test_an_origin_with_control_characters_is_never_echoed():
    # In-process: a socket client could not even send it, h11 refuses it.
    with MockMailServer(cors_origins=["*"]) as anything_goes:
        session = requests_session(anything_goes.app)
        answer = session.get(
            anything_goes.url + ACCOUNTS, headers={"Origin": "http://localhost\x0bSet-Cookie: x=1", **BOB}
        )
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_requested_headers_are_echoed_in_a_preflight_only_as_header_names(server: MockMailServer):
    session = requests_session(server.app)
    origin = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT"}
    good = session.options(
        server.url + ACCOUNTS, headers={**origin, "Access-Control-Request-Headers": "x-a, x-b"}
    )
    bad = session.options(
        server.url + ACCOUNTS, headers={**origin, "Access-Control-Request-Headers": "x-a\x0b: 1"}
    )
    assert good.headers["Access-Control-Allow-Headers"].endswith(", x-a, x-b")
    assert bad.headers["Access-Control-Allow-Headers"] == "origin, authorization, accept, content-type"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/_mockmail/reset"),
        ("POST", "//_mockmail/reset"),
        ("POST", "/_mockmail/faults"),
        ("DELETE", "/_mockmail/faults"),
        ("DELETE", "/_mockmail/journal"),
        ("POST", "/_mockmail/users/bob/revoke-token"),
    ],
)
def test_a_foreign_page_cannot_change_the_mock(server: MockMailServer, method: str, path: str):
    server.add_fault({"name": "kept", "match": {"method": "GET"}, "respond": {"delay_ms": 0}})
    requests.put(
        server.url + ACCOUNTS, data={"email": "bob@example.com", "name": "Changed"}, headers=BOB, timeout=5
    )
    answer = requests.request(
        method,
        server.url + path,
        headers={"Origin": EVIL, "Content-Type": "text/plain"},  # what a blind form POST sends
        data='{"respond": "reset"}',
        timeout=5,
    )
    assert answer.status_code == 403
    assert "evil.example" in answer.json()["error"]
    assert [fault.name for fault in server.faults()] == ["kept"]
    assert len(server.journal()) == 1
    assert (
        requests.get(server.url + ACCOUNTS, headers=BOB, timeout=5).json()["response"][0]["name"] == "Changed"
    )


def test_a_local_page_may_change_the_mock(server: MockMailServer):
    answer = requests.post(
        server.url + "/_mockmail/reset", headers={"Origin": "http://localhost:5173"}, timeout=5
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[tuple[MockMailServer, MockMailServer, Path]]:
    """A recording proxy in front of another mock standing in for the real portal."""
    path = tmp_path / "session.yaml"
    with MockMailServer() as portal:
        replay = Replay(path, mode="all", upstream=portal.url)
        with MockMailServer(replay=replay) as proxy:
            yield proxy, portal, path


def test_while_recording_a_foreign_page_never_reaches_the_real_portal(recorder):
    proxy, portal, path = recorder
    answer = requests.get(proxy.url + ACCOUNTS, headers={"Origin": EVIL, **BOB}, timeout=5)
    assert answer.status_code == 403
    assert portal.journal() == []
    assert not path.exists()
    local = requests.get(proxy.url + ACCOUNTS, headers={"Origin": "http://localhost:3000", **BOB}, timeout=5)
    assert local.status_code == 200
    assert len(portal.journal()) == 1


def test_a_scenario_adds_origins_until_a_reset_to_another(
    server: MockMailServer, write_scenario: Callable[[str], Path], default: Scenario
):
    ui = "http://ui.example.test:3000"
    server.reset(write_scenario(f"cors_origins: ['{ui}']\nusers:\n  - {{name: bob, token: bob-token}}\n"))
    answer = requests.get(server.url + ACCOUNTS, headers={"Origin": ui, **BOB}, timeout=5)
    assert answer.headers["Access-Control-Allow-Origin"] == ui
    server.reset(default)
    answer = requests.get(server.url + ACCOUNTS, headers={"Origin": ui, **BOB}, timeout=5)
    assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize("origin", ["localhost:3000", "http://", "http://ui.test/app", "http://a b", ""])
def test_a_configured_origin_must_be_one(origin: str):
    with pytest.raises(ValueError, match="is not an origin"):
        MockMailServer(cors_origins=[origin])


@pytest.fixture(scope="module")
def guarded() -> Iterator[MockMailServer]:
    with MockMailServer(control_token="s3cret-control") as server:
        yield server


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "s3cret-control", "Basic czNjcmV0LWNvbnRyb2w=", "Bearer s3cret"]
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/_mockmail/journal"), ("POST", "/_mockmail/reset")])
def test_with_a_control_token_control_needs_it(
    guarded: MockMailServer, authorization: str | None, method: str, path: str
):
    guarded.add_fault({"name": "kept", "respond": "unauthorized"})
    headers = {"Authorization": authorization} if authorization else {}
    answer = requests.request(method, guarded.url + path, headers=headers, timeout=5)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="mockmail control"'
    assert "Authorization: Bearer TOKEN" in answer.json()["error"]
    assert [fault.name for fault in guarded.faults()] == ["kept"]  # the reset did not happen
    guarded.clear_faults()


def test_with_a_control_token_control_answers_the_bearer_and_the_api_its_own_tokens(guarded: MockMailServer):
    control = {"Authorization": "Bearer s3cret-control"}
    assert requests.post(guarded.url + "/_mockmail/reset", headers=control, timeout=5).status_code == 204
    assert requests.get(guarded.url + "/_mockmail/journal", headers=control, timeout=5).status_code == 200
    assert requests.get(guarded.url + ACCOUNTS, headers=BOB, timeout=5).status_code == 200
    # A local page's preflight carries no credentials (browsers never send them there): answered.
    preflight = requests.options(
        guarded.url + "/_mockmail/faults",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


def test_a_local_page_may_read_why_control_refused_it(guarded: MockMailServer):
    answer = requests.get(
        guarded.url + "/_mockmail/faults", headers={"Origin": "http://localhost:3000"}, timeout=5
    )
    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    foreign = requests.get(guarded.url + "/_mockmail/faults", headers={"Origin": EVIL}, timeout=5)
    assert foreign.status_code == 401
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_bound_beyond_loopback_control_needs_a_made_up_token():
    with MockMailServer(host="0.0.0.0") as exposed:
        assert exposed.exposed
        token = exposed.control_token
        assert token is not None
        assert len(token) >= 32
        local = f"http://127.0.0.1:{exposed.port}"
        assert requests.get(local + "/_mockmail/faults", timeout=5).status_code == 401
        bearing = {"Authorization": f"Bearer {token}"}
        assert requests.get(local + "/_mockmail/faults", headers=bearing, timeout=5).status_code == 200
        # Clients name an exposed server by its address: no Host check there.
        assert requests.get(local + ACCOUNTS, headers={**BOB, "Host": "10.1.2.3:8025"}, timeout=5).ok
    with MockMailServer(host="0.0.0.0") as other:
        assert other.control_token != token


def test_on_loopback_there_is_no_control_token_unless_given(server: MockMailServer):
    assert server.control_token is None
    assert not server.exposed
    assert requests.get(server.url + "/_mockmail/faults", timeout=5).status_code == 200


def test_a_local_page_may_preflight_patch_under_control_but_the_api_keeps_the_real_methods(
    server: MockMailServer,
):
    def allowed_methods(path: str) -> str:
        answer = requests.options(
            server.url + path,
            headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PATCH"},
            timeout=5,
        )
        return answer.headers["Access-Control-Allow-Methods"]

    assert allowed_methods("/_mockmail/faults/slow") == "GET, POST, PUT, PATCH, DELETE"
    assert allowed_methods(ACCOUNTS) == "GET, POST, PUT, DELETE"


def test_the_workbench_page_opens_without_the_control_token_its_data_does_not(guarded: MockMailServer):
    page = requests.get(guarded.url + "/_mockmail/", timeout=5)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert guarded.control_token not in page.text
    assert requests.get(guarded.url + "/_mockmail/static/workbench.js", timeout=5).status_code == 200
    assert requests.get(guarded.url + "/_mockmail/users", timeout=5).status_code == 401
    assert requests.get(guarded.url + "/_mockmail/staticx", timeout=5).status_code == 401
    for sneaky in (
        "/_mockmail/static/../users",
        "/_mockmail/static/%2e%2e/users",
        "/_mockmail/static/..%2fusers",
    ):
        with socket.create_connection((guarded.host, guarded.port), timeout=5) as sock:
            sock.sendall(f"GET {sneaky} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            assert sock.recv(4096).startswith(b"HTTP/1.1 404 "), sneaky
