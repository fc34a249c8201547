"""The HTTP server under the mock, over raw sockets: framing, keep-alive, attacks, slow clients, limits."""

from __future__ import annotations

import http.client
import json
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest
import requests

from mockmail import Limits, MockMailServer
from mockmail.http_server import HEAD_LIMIT

ACCOUNTS = "/api/2.0/mail/accounts"
BOB = "bob-token"
BOB_HEADERS = {"Authorization": BOB}
BOB_BODY = b'{"email":"bob@example.com","name":"Bobby"}'


def connect(server: MockMailServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=5)


def put_bytes(body: bytes = BOB_BODY, *, extra: str = "", version: str = "HTTP/1.1") -> bytes:
    head = (
        f"PUT {ACCOUNTS} {version}\r\nHost: localhost\r\nAuthorization: {BOB}\r\n"
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
    return server.account("bob@example.com").name


def normal_put_seconds(server: MockMailServer) -> float:
    """How long a normal PUT on a fresh connection takes to be answered (it must be a 200)."""
    started = time.perf_counter()
    answer = requests.put(
        server.url + ACCOUNTS, json={"email": "bob@example.com"}, headers=BOB_HEADERS, timeout=10
    )
    assert answer.status_code == 200
    return time.perf_counter() - started


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
            f"HEAD {ACCOUNTS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {BOB}\r\nConnection: close\r\n\r\n".encode()
        )
        head, _, body = read_all(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == b""


def test_a_request_in_bare_lf_line_endings_is_answered(server: MockMailServer):
    data = put_bytes().replace(b"\r\n", b"\n")
    with connect(server) as sock:
        sock.sendall(data)
        assert read_answer(sock).status == 200


def test_a_header_value_outside_latin_1_is_sent_replaced_not_dropped(server: MockMailServer):
    server.add_fault({"respond": {"status": 503, "headers": {"X-Name": "Zoë ☃"}}})
    with connect(server) as sock:
        sock.sendall(put_bytes(extra="Connection: close\r\n"))
        answer = read_all(sock)
    assert b"\r\nX-Name: Zo\xeb ?\r\n" in answer


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


@pytest.mark.parametrize("extra", ["", "Connection: keep-alive\r\n"])
def test_http_1_0_is_answered_then_closed(server: MockMailServer, extra: str):
    """h11 keeps no HTTP/1.0 connection alive, asked or not; the answer says Connection: close."""
    with connect(server) as sock:
        sock.sendall(put_bytes(extra=extra, version="HTTP/1.0"))
        answer = read_answer(sock)
        assert (answer.status, answer.headers["Connection"]) == (200, "close")
        assert sock.recv(10) == b""


def test_a_stop_requested_before_serving_ends_serve_forever_at_once():
    """What a Ctrl-C between `mockmail serve` printing its URL and serving comes to."""
    server = MockMailServer()
    server.bind()
    server.request_stop()
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    serving.join(timeout=2)
    assert not serving.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=1)
    server.stop()


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


# --- requests that cannot be read: answered, then closed; the server serves on ------------------


def assert_refused_while_others_are_served(server: MockMailServer, data: bytes, status: int) -> None:
    """``data`` gets ``status`` and a close within 2 s; a normal PUT meanwhile is answered within 1 s."""
    with socket.create_connection((server.host, server.port), timeout=2) as sock:
        sock.sendall(data)
        assert normal_put_seconds(server) < 1
        started = time.perf_counter()
        answer = read_all(sock)
        assert time.perf_counter() - started < 2
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:80]


CHUNKED_PUT = f"PUT {ACCOUNTS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {BOB}\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    "size",
    [b"-6", b"0x5", b"+5", b" 5 ", b"5_0"],
    ids=["negative", "hex-prefix", "plus", "spaces", "underscore"],
)
def test_a_chunk_size_that_is_not_plain_hex_is_refused(server: MockMailServer, size: bytes):
    data = CHUNKED_PUT.encode() + size + b"\r\nhello\r\n0\r\n\r\n"
    assert_refused_while_others_are_served(server, data, 400)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ("Transfer-Encoding: xchunked\r\n", b"5\r\nhello\r\n0\r\n\r\n", 501),
        ("Transfer-Encoding: gzip, chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n", 501),
        ("Transfer-Encoding: chunked, identity\r\n", b"5\r\nhello\r\n0\r\n\r\n", 501),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n", 501),
        ("Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!", 400),
        ("Transfer-Encoding: chunked\r\n", b"5\r\nhelloXX0\r\n\r\n", 400),  # no CRLF after the data
        ("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n", 400),
        ("Content Length: 5\r\n", b"hello", 400),  # a space in a header name
    ],
    ids=[
        "te-xchunked",
        "te-gzip-chunked",
        "te-chunked-identity",
        "two-te",
        "two-lengths",
        "chunk-without-crlf",
        "length-and-te",
        "space-in-name",
    ],
)
def test_request_smuggling_shapes_are_refused(server: MockMailServer, headers: str, body: bytes, status: int):
    data = (
        f"PUT {ACCOUNTS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {BOB}\r\n{headers}\r\n".encode() + body
    )
    assert_refused_while_others_are_served(server, data, status)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (f"PUT {ACCOUNTS} HTTP/2.0\r\nHost: localhost\r\n\r\n".encode(), 505),
        (b"PUT /a HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n", 400),
        (b"PUT /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: -3\r\n\r\n", 400),
        (b"PUT /a HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host
        (b"GET /a HTTP/1.1\r\nX: " + b"x" * HEAD_LIMIT, 431),
        (CHUNKED_PUT.encode() + b"5" * (HEAD_LIMIT + 10), 431),  # a chunk-size line that never ends
        (CHUNKED_PUT.encode() + b"0\r\nX: " + b"x" * (HEAD_LIMIT + 10), 431),  # so is a trailer
    ],
    ids=[
        "request-line",
        "http-2",
        "header-line",
        "negative-length",
        "no-host",
        "head",
        "chunk-line",
        "trailer",
    ],
)
def test_a_request_that_cannot_be_read_gets_its_status(server: MockMailServer, data: bytes, status: int):
    assert_refused_while_others_are_served(server, data, status)


def test_header_names_with_underscores_are_dropped_not_read_as_dashes(server: MockMailServer):
    """``Content_Type`` must not pass for ``Content-Type``: the JSON body is then read as a form."""
    data = put_bytes().replace(b"Content-Type:", b"Content_Type:")
    with connect(server) as sock:
        sock.sendall(data)
        answer = read_answer(sock)
    assert answer.status == 400
    assert bobs_name(server) != "Bobby"


def test_a_lone_lf_inside_a_header_value_ends_the_line_as_h11_reads_it(server: MockMailServer):
    data = put_bytes().replace(
        f"Authorization: {BOB}\r\n".encode(), f"X-A: a\nAuthorization: {BOB}\r\n".encode()
    )
    with connect(server) as sock:
        sock.sendall(data)
        assert read_answer(sock).status == 200  # the Authorization h11 reads is the one the app sees
    assert bobs_name(server) == "Bobby"


def test_a_body_over_the_limit_gets_the_apis_413_unread(server: MockMailServer):
    with connect(server) as sock:
        sock.sendall(
            f"PUT {ACCOUNTS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {BOB}\r\nContent-Length: 2000000\r\n\r\n".encode()
        )
        answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"HTTP/1.1 413 " in head
    assert b"\r\nConnection: close" in head
    assert json.loads(body)["statusCode"] == 413


def test_a_chunked_body_over_the_limit_gets_the_apis_413(server: MockMailServer):
    chunk = b"x" * 65536
    data = CHUNKED_PUT.encode() + (b"10000\r\n" + chunk + b"\r\n") * 17  # 1.06 MiB
    with connect(server) as sock:
        sock.sendall(data)
        head, _, body = read_all(sock).partition(b"\r\n\r\n")
    assert b"HTTP/1.1 413 " in head
    assert json.loads(body)["statusCode"] == 413


# --- slow clients cost only their own connection ----------------------------------------------


def test_a_client_that_pipelines_and_never_reads_does_not_hold_up_another(server: MockMailServer):
    request = f"GET {ACCOUNTS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {BOB}\r\n\r\n".encode()
    with connect(server) as greedy:
        greedy.setblocking(False)
        sent, deadline = 0, time.monotonic() + 3
        while time.monotonic() < deadline and sent < 20_000_000:  # until its own buffers are full
            try:
                sent += greedy.send(request * 100)
            except BlockingIOError:
                break
        time.sleep(0.1)  # the server has answered as much as the greedy client's buffer takes
        # Were the greedy client's megabytes all answered first, this would take over a minute;
        # the bound leaves room for a loaded CI machine.
        assert normal_put_seconds(server) < 5
        # Nothing is lost: reading now, the greedy client gets its answers.
        greedy.settimeout(5)
        assert greedy.recv(20).startswith(b"HTTP/1.1 200 ")


def test_a_client_that_sends_a_byte_at_a_time_does_not_hold_up_another(server: MockMailServer):
    with connect(server) as slow:
        for byte in put_bytes()[:40]:
            slow.send(bytes([byte]))
            assert normal_put_seconds(server) < 1


@pytest.fixture
def short_limits() -> Iterator[MockMailServer]:
    limits = Limits(idle_timeout=0.3, send_timeout=0.3, max_connections=3, workers=2)
    with MockMailServer(limits=limits) as server:
        yield server


def test_an_idle_connection_is_closed_after_the_idle_timeout(short_limits: MockMailServer):
    with connect(short_limits) as sock:
        sock.sendall(put_bytes())
        assert read_answer(sock).status == 200
        started = time.perf_counter()
        assert sock.recv(10) == b""
        assert 0.2 <= time.perf_counter() - started < 1.5


def test_a_request_that_stalls_half_way_is_closed_after_the_idle_timeout(short_limits: MockMailServer):
    with connect(short_limits) as sock:
        sock.sendall(put_bytes()[:30])
        assert sock.recv(10) == b""


def test_connections_over_the_cap_are_refused_with_503(short_limits: MockMailServer):
    held = [connect(short_limits) for _ in range(3)]
    try:
        time.sleep(0.05)
        with connect(short_limits) as extra:
            assert read_all(extra).startswith(b"HTTP/1.1 503 ")
        held[0].sendall(put_bytes())
        assert read_answer(held[0]).status == 200
    finally:
        for sock in held:
            sock.close()


def send_until_blocked(sock: socket.socket, data: bytes) -> None:
    """Send ``data`` again and again until the server stops taking it."""
    sock.setblocking(False)
    try:
        for _ in range(100_000):
            sock.send(data)
    except BlockingIOError:
        return
    raise AssertionError("the server read everything a client sent without answering")


def read_until_closed(sock: socket.socket) -> None:
    sock.setblocking(True)
    while sock.recv(1 << 20):
        pass


def test_a_client_that_does_not_read_is_dropped_after_the_send_timeout(short_limits: MockMailServer):
    request = f"GET {ACCOUNTS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {BOB}\r\n\r\n".encode()
    with connect(short_limits) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        send_until_blocked(sock, request * 50)  # the server stops reading once its answers pile up
        time.sleep(1.2)  # past the send timeout: the server has dropped the connection
        with pytest.raises(ConnectionResetError):
            read_until_closed(sock)


def test_accepting_backs_off_when_out_of_file_descriptors():
    """Out of descriptors, the server logs a line a second (not hundreds) and serves on after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockmail", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    held: list[socket.socket] = []
    try:
        assert process.stdout is not None
        url = process.stdout.readline().removeprefix("mockmail serving on ").strip()
        resource.prlimit(process.pid, resource.RLIMIT_NOFILE, (40, 40))
        host, port = url.removeprefix("http://").split(":")
        for _ in range(60):  # more than the server has descriptors for
            held.append(socket.create_connection((host, int(port)), timeout=5))
        time.sleep(2)
        for sock in held:
            sock.close()
        held.clear()
        time.sleep(1.2)  # the back-off ends
        answer = requests.put(
            url + ACCOUNTS, json={"email": "bob@example.com"}, headers=BOB_HEADERS, timeout=5
        )
        assert answer.status_code == 200
    finally:
        for sock in held:
            sock.close()
        process.terminate()
        _, err = process.communicate(timeout=10)
    complaints = [line for line in err.splitlines() if "accept" in line.lower()]
    assert 1 <= len(complaints) <= 5, err[-2000:]


# --- requests that may take long: a bounded pool of workers, none after stop ------------------


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


def test_a_delayed_request_on_a_doubled_slash_path_waits_on_a_worker_too(slow_bob: MockMailServer, alice):
    bob = threading.Thread(
        target=requests.put,
        args=(slow_bob.url + "/" + ACCOUNTS,),
        kwargs={"json": {"email": "bob@example.com"}, "headers": BOB_HEADERS, "timeout": 5},
    )
    bob.start()
    time.sleep(0.05)  # bob's request is waiting on its delay
    started = time.perf_counter()
    assert requests.get(slow_bob.url + ACCOUNTS, headers=alice, timeout=5).status_code == 200
    assert time.perf_counter() - started < 0.3
    bob.join()
    assert [entry.path for entry in slow_bob.journal()] == [ACCOUNTS, ACCOUNTS]


def test_a_connection_comes_back_from_its_worker_for_the_next_request(slow_bob: MockMailServer):
    with connect(slow_bob) as sock:
        sock.sendall(put_bytes())
        assert read_answer(sock).status == 200
        slow_bob.clear_faults()
        started = time.perf_counter()
        sock.sendall(put_bytes())
        assert read_answer(sock).status == 200
        assert time.perf_counter() - started < 0.3


def test_a_request_pipelined_behind_a_delayed_one_is_answered_after_it(slow_bob: MockMailServer):
    assert pipelined_names(slow_bob) == ["Bobby", "Second"]


def worker_threads(server: MockMailServer) -> list[threading.Thread]:
    prefix = f"mockmail-worker:{server.port}"
    return [thread for thread in threading.enumerate() if thread.name.startswith(prefix)]


def test_delayed_requests_share_a_bounded_pool_of_workers(short_limits: MockMailServer):
    short_limits.add_fault({"respond": {"delay_ms": 100}})
    before = len(worker_threads(short_limits))
    statuses: list[int] = []

    def put() -> None:
        answer = requests.put(
            short_limits.url + ACCOUNTS, json={"email": "bob@example.com"}, headers=BOB_HEADERS
        )
        statuses.append(answer.status_code)

    clients = [threading.Thread(target=put) for _ in range(3)]  # the connection cap is 3
    started = time.perf_counter()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    assert statuses == [200, 200, 200]
    assert len(worker_threads(short_limits)) - before <= 2
    assert time.perf_counter() - started >= 0.2  # two workers: the third request waited for one


def test_stop_returns_at_once_while_a_request_is_delayed_and_nothing_answers_after():
    server = MockMailServer()
    server.start()
    server.add_fault({"respond": {"delay_ms": 5000}})
    with connect(server) as sock:
        sock.sendall(put_bytes())
        time.sleep(0.1)  # the request waits on a worker
        started = time.perf_counter()
        server.stop()
        assert time.perf_counter() - started < 1
        assert read_all(sock) == b""
    deadline = time.monotonic() + 2
    while worker_threads(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker_threads(server) == []


def test_a_bug_below_the_app_loses_one_connection_not_the_server(
    server: MockMailServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    import mockmail.http_server

    real_build_environ = mockmail.http_server.build_environ
    failures = iter([RuntimeError("a bug")])

    def build_environ_failing_once(*args: object, **kwargs: object) -> dict[str, object]:
        for failure in failures:
            raise failure
        return real_build_environ(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mockmail.http_server, "build_environ", build_environ_failing_once)
    with connect(server) as sock:
        sock.sendall(put_bytes())
        assert read_all(sock) == b""
    assert "a bug" in caplog.text
    assert normal_put_seconds(server) < 1
