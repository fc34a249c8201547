"""The HTTP server under the mock, over raw sockets: framing, keep-alive, bad requests, slow requests."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from email.utils import parsedate_to_datetime

import pytest
import requests

from mockmail import MockMailServer
from mockmail.http_request import HEAD_LIMIT
from mockmail.http_server import Connection, _head
from mockmail.testing import MockMail

ACCOUNTS = "/api/2.0/mail/accounts"
BOB = "bob-token"
BOB_HEADERS = {"Authorization": BOB}
BOB_BODY = b'{"email":"bob@example.com","name":"Bobby"}'


def connect(server: MockMailServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=5)


def put_bytes(body: bytes = BOB_BODY, *, extra: str = "", version: str = "HTTP/1.1") -> bytes:
    head = (
        f"PUT {ACCOUNTS} {version}\r\nHost: mock\r\nAuthorization: {BOB}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


def read_answer(sock: socket.socket) -> http.client.HTTPResponse:
    """One answer off ``sock``, body read."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    return response


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def bobs_name(server: MockMailServer) -> str | None:
    return MockMail(server).account("bob@example.com").name


# --- framing -------------------------------------------------------------------------------------


def test_one_send_gets_one_answer_with_length_date_and_server(server: MockMailServer):
    with connect(server) as sock:
        sock.sendall(put_bytes())
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
    assert response.status == 200
    assert int(response.headers["Content-Length"]) == len(body)
    assert json.loads(body)["response"]["name"] == "Bobby"
    assert response.headers["Server"] == "mockmail"
    assert parsedate_to_datetime(response.headers["Date"]).tzname() == "UTC"


def test_a_request_in_pieces_is_answered_once_whole(server: MockMailServer):
    data = put_bytes()
    with connect(server) as sock:
        for piece in (data[:7], data[7:60], data[60:-5], data[-5:]):
            sock.sendall(piece)
            time.sleep(0.02)
        assert read_answer(sock).status == 200
    assert bobs_name(server) == "Bobby"


def read_answers(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """``count`` answers off ``sock``, as status and body, framed by their Content-Length."""
    data, answers = b"", []
    while len(answers) < count:
        data += sock.recv(65536)
        while b"\r\n\r\n" in data:
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(
                next(line for line in head.split(b"\r\n") if line.startswith(b"Content-Length:"))[15:]
            )
            if len(rest) < length:
                break
            answers.append((int(head[9:12]), rest[:length]))
            data = rest[length:]
    return answers


def pipelined_names(server: MockMailServer) -> list[str]:
    """Send two updates of bob's name in one write; the names the two answers show."""
    second = b'{"email":"bob@example.com","name":"Second"}'
    with connect(server) as sock:
        sock.sendall(put_bytes() + put_bytes(second))
        answers = read_answers(sock, 2)
    return [json.loads(body)["response"]["name"] for _, body in answers]


def test_pipelined_requests_are_answered_in_order(server: MockMailServer):
    assert pipelined_names(server) == ["Bobby", "Second"]
    assert bobs_name(server) == "Second"


def test_expect_100_continue_is_answered_before_the_body(server: MockMailServer):
    with connect(server) as sock:
        sock.sendall(put_bytes(extra="Expect: 100-continue\r\n")[: -len(BOB_BODY)])
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(BOB_BODY)
        assert read_answer(sock).status == 200
    assert bobs_name(server) == "Bobby"


def test_a_chunked_body_is_read_whole(server: MockMailServer):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    pieces = iter([BOB_BODY[:10], BOB_BODY[10:]])
    connection.request(
        "PUT",
        ACCOUNTS,
        body=pieces,
        headers={"Authorization": BOB, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )
    assert connection.getresponse().status == 200
    connection.close()
    assert bobs_name(server) == "Bobby"
    assert server.journal()[-1].fields["name"] == "Bobby"


def test_an_absolute_form_target_is_served_by_its_path(server: MockMailServer):
    data = put_bytes().replace(ACCOUNTS.encode(), f"http://mock{ACCOUNTS}?x=1".encode(), 1)
    with connect(server) as sock:
        sock.sendall(data)
        assert read_answer(sock).status == 200


def test_head_answers_headers_only(server: MockMailServer):
    with connect(server) as sock:
        sock.sendall(
            f"HEAD {ACCOUNTS} HTTP/1.1\r\nAuthorization: {BOB}\r\nConnection: close\r\n\r\n".encode()
        )
        head, _, body = read_all(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == b""


# --- keep-alive ----------------------------------------------------------------------------------


def test_http_1_1_keeps_the_connection_until_the_client_says_close(server: MockMailServer):
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(put_bytes())
            assert read_answer(sock).status == 200
        sock.sendall(put_bytes(extra="Connection: close\r\n"))
        answer = read_answer(sock)
        assert answer.headers["Connection"] == "close"
        assert sock.recv(10) == b""


@pytest.mark.parametrize(("extra", "kept"), [("", False), ("Connection: keep-alive\r\n", True)])
def test_http_1_0_closes_unless_asked_to_keep_alive(server: MockMailServer, extra: str, kept: bool):
    with connect(server) as sock:
        sock.sendall(put_bytes(extra=extra, version="HTTP/1.0"))
        assert read_answer(sock).status == 200
        if kept:
            sock.sendall(put_bytes(version="HTTP/1.0"))
            assert read_answer(sock).status == 200
        else:
            assert sock.recv(10) == b""


def test_stop_closes_idle_kept_alive_connections():
    server = MockMailServer()
    server.start()
    with connect(server) as sock:
        sock.sendall(put_bytes())
        assert read_answer(sock).status == 200
        started = time.perf_counter()
        server.stop()
        assert time.perf_counter() - started < 1
        assert sock.recv(10) == b""


# --- bad requests: answered, then closed; the server serves on --------------------------------


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"PUT /api/2.0/mail/accounts HTTP/2.0\r\n\r\n", 505),
        (b"PUT /a HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"PUT /a HTTP/1.1\r\nContent-Length: -3\r\n\r\n", 400),
        (b"PUT /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"PUT /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n", 413),  # a 2 MiB chunk
        (b"GET /a HTTP/1.1\r\nX: " + b"x" * HEAD_LIMIT, 431),
    ],
)
def test_a_request_that_cannot_be_read_gets_its_status_and_the_server_serves_on(
    server: MockMailServer, data: bytes, status: int
):
    with connect(server) as sock:
        sock.sendall(data)
        answer = read_all(sock)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode())
    assert requests.put(server.url + ACCOUNTS, json={"email": "bob@example.com"}, headers=BOB_HEADERS).ok


def test_a_body_over_the_limit_gets_the_apis_413_unread(server: MockMailServer):
    with connect(server) as sock:
        sock.sendall(
            f"PUT {ACCOUNTS} HTTP/1.1\r\nAuthorization: {BOB}\r\nContent-Length: 2000000\r\n\r\n".encode()
        )
        answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"HTTP/1.1 413 " in head
    assert json.loads(body)["statusCode"] == 413


# --- slow requests wait on a worker, not in front of others -----------------------------------


@pytest.fixture
def slow_bob(server: MockMailServer) -> MockMailServer:
    server.add_fault({"match": {"user": "bob"}, "respond": {"delay_ms": 400}})
    return server


def test_a_delayed_request_does_not_hold_up_another_client(slow_bob: MockMailServer, alice):
    done: dict[str, float] = {}
    started = time.perf_counter()

    def bobs_put() -> None:
        requests.put(
            slow_bob.url + ACCOUNTS,
            json={"email": "bob@example.com"},
            headers=BOB_HEADERS,
            timeout=5,
        )
        done["bob"] = time.perf_counter() - started

    bob = threading.Thread(target=bobs_put)
    bob.start()
    time.sleep(0.05)  # bob's request is waiting on its delay
    answer = requests.get(slow_bob.url + ACCOUNTS, headers=alice, timeout=5)
    done["alice"] = time.perf_counter() - started
    bob.join()
    assert answer.status_code == 200
    assert done["alice"] < 0.3
    assert done["bob"] >= 0.4


def test_a_connection_comes_back_from_its_worker_for_the_next_request(slow_bob: MockMailServer):
    with connect(slow_bob) as sock:
        sock.sendall(put_bytes())
        assert read_answer(sock).status == 200
        slow_bob.clear_faults()
        started = time.perf_counter()
        sock.sendall(put_bytes())
        assert read_answer(sock).status == 200
        assert time.perf_counter() - started < 0.3


def test_an_internal_error_in_the_server_loses_one_connection_not_the_server(
    server: MockMailServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    http_server = server._server
    assert http_server is not None
    real_environ = http_server._environ
    failures = iter([RuntimeError("a bug")])

    def environ_failing_once(*args: object) -> dict[str, object]:
        for failure in failures:
            raise failure
        return real_environ(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(http_server, "_environ", environ_failing_once)
    with connect(server) as sock:
        sock.sendall(put_bytes())
        assert read_all(sock) == b""
    assert "internal error" in caplog.text
    assert requests.put(server.url + ACCOUNTS, json={"email": "bob@example.com"}, headers=BOB_HEADERS).ok


def test_a_header_value_outside_latin_1_is_sent_replaced_not_dropped():
    head = _head("200 OK", [("X-Name", "Zoë ☃")], 0, keep_alive=True)
    assert b"X-Name: Zo\xeb ?\r\n" in head


def test_an_answer_larger_than_the_socket_buffer_waits_for_a_slow_reader():
    server_end, client_end = socket.socketpair()
    server_end.setblocking(False)  # as the server's connections are
    data = bytes(range(256)) * 20_000  # 5 MB, far more than the buffer takes at once
    received = bytearray()

    def read_slowly() -> None:
        time.sleep(0.1)  # the buffer is full and the server has to wait
        while len(received) < len(data):
            received.extend(client_end.recv(1 << 16))

    reader = threading.Thread(target=read_slowly)
    reader.start()
    connection = Connection(server_end, ("127.0.0.1", 0), body_limit=0)
    assert connection.send(data)
    reader.join(timeout=10)
    assert bytes(received) == data
    assert server_end.gettimeout() == 0.0  # non-blocking again for the loop
    server_end.close()
    client_end.close()


def test_a_request_pipelined_behind_a_delayed_one_is_answered_after_it(slow_bob: MockMailServer):
    assert pipelined_names(slow_bob) == ["Bobby", "Second"]
