"""What the pytest fixture costs a test, side by side with pytest-httpserver, and the in-process client.

Run: .venv/bin/python benchmarks/bench_plugin.py [--tests N]   (needs: pip install -e '.[bench]')

Measured in one run, on loopback, each figure the median over N repetitions:
- per test with a session server: reset to the scenario + one PUT answered (mockmail's
  `mockmail` fixture) against registering one handler + one PUT + clear (pytest-httpserver's
  `httpserver` fixture); a fresh connection per PUT, as `requests.put` in a test makes;
- a whole server's life: start, one PUT, reset, stop, for both;
- one PUT through the in-process client (`mockmail.session()`) against one over loopback,
  with a kept-alive `requests.Session` and with a fresh connection (`requests.put`, as the
  README's examples do);
- the in-process floor: the same `requests` session and adapter on a one-route Flask app that
  answers a constant, and `requests` alone on an adapter that answers without any app.
Targets: the fixture's per-test cost no more than 1.1x pytest-httpserver's; in-process >= 5x
faster.
Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

import requests
from flask import Flask, Response, request
from pytest_httpserver import HTTPServer
from requests.adapters import BaseAdapter

from mockmail import MockMailServer
from mockmail.inprocess import requests_session
from mockmail.scenarios import default_scenario

PATH = "/api/2.0/mail/accounts"
BODY = {"email": "bob@example.com", "name": "Bob", "server": "imap.bob.example", "port": 993}
HEADERS = {"Authorization": "bob-token"}
ANSWER = {"count": 1, "status": 0, "statusCode": 200, "response": {"mailboxId": 3, "name": "Bob"}}


BLOCK = 50


def medians_us(steps: list[Callable[[], None]], repeat: int) -> list[float]:
    """The median wall time of each step in microseconds.

    The steps take turns in blocks of BLOCK runs (after a warm-up block each), so a change in
    the machine's speed during the run weighs on each alike, while each block runs warm.
    """
    samples: list[list[int]] = [[] for _ in steps]
    for _ in range(max(1, repeat // BLOCK)):
        for step, times in zip(steps, samples, strict=True):
            for _ in range(BLOCK):
                started = time.perf_counter_ns()
                step()
                times.append(time.perf_counter_ns() - started)
    return [statistics.median(times[BLOCK:] or times) / 1000 for times in samples]


def mockmail_per_test(server: MockMailServer) -> Callable[[], None]:
    scenario = default_scenario()

    def step() -> None:
        server.reset(scenario)
        response = requests.put(server.url + PATH, json=BODY, headers=HEADERS, timeout=5)
        assert response.status_code == 200

    return step


def httpserver_per_test(server: HTTPServer) -> Callable[[], None]:
    def step() -> None:
        server.expect_request(PATH, method="PUT").respond_with_json(ANSWER)
        response = requests.put(server.url_for(PATH), json=BODY, headers=HEADERS, timeout=5)
        assert response.status_code == 200
        server.clear()

    return step


def mockmail_lifetime() -> None:
    with MockMailServer() as server:
        assert requests.put(server.url + PATH, json=BODY, headers=HEADERS, timeout=5).status_code == 200
        server.reset()


def httpserver_lifetime() -> None:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        server.expect_request(PATH, method="PUT").respond_with_json(ANSWER)
        assert requests.put(server.url_for(PATH), json=BODY, headers=HEADERS, timeout=5).status_code == 200
        server.clear()
    finally:
        server.stop()


def put_with(session: requests.Session, url: str) -> Callable[[], None]:
    def step() -> None:
        assert session.put(url + PATH, json=BODY, headers=HEADERS, timeout=5).status_code == 200

    return step


def put_fresh(url: str) -> Callable[[], None]:
    def step() -> None:
        assert requests.put(url + PATH, json=BODY, headers=HEADERS, timeout=5).status_code == 200

    return step


def constant_app() -> Flask:
    """The least a Flask mock can do: one route answering a constant."""
    app = Flask("constant")

    @app.put(PATH)
    def update() -> Response:
        request.get_data()
        return Response(b'{"status":0}', content_type="application/json")

    return app


class NoApp(BaseAdapter):
    """Answers 200 at once: what `requests` itself costs a call."""

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content, response.request = 200, b"{}", request
        return response

    def close(self) -> None:
        pass


def requests_alone() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", NoApp())
    return session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=500, help="repetitions per figure")
    repeat = parser.parse_args().tests
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # pytest-httpserver logs every request

    theirs_server = HTTPServer(host="127.0.0.1", port=0)
    theirs_server.start()
    try:
        with MockMailServer() as server, requests.Session() as loopback:
            in_process = server.session()
            ours, theirs, over_loopback, fresh, without_socket, flask_floor, requests_floor = medians_us(
                [
                    mockmail_per_test(server),
                    httpserver_per_test(theirs_server),
                    put_with(loopback, server.url),
                    put_fresh(server.url),
                    put_with(in_process, server.url),
                    put_with(requests_session(constant_app()), server.url),
                    put_with(requests_alone(), server.url),
                ],
                repeat,
            )
    finally:
        theirs_server.stop()
    our_life, their_life = medians_us([mockmail_lifetime, httpserver_lifetime], max(20, repeat // 10))

    print(f"{'figure (median)':58} {'mockmail':>10} {'pytest-httpserver':>18}")
    print(f"{'per test: reset + one PUT (fresh connection), us':58} {ours:10.0f} {theirs:18.0f}")
    print(f"{'server life: start, one PUT, reset, stop, us':58} {our_life:10.0f} {their_life:18.0f}")
    print(f"{'one PUT over loopback (kept-alive session), us':58} {over_loopback:10.0f}")
    print(f"{'one PUT over loopback (fresh connection: requests.put), us':58} {fresh:10.0f}")
    print(f"{'one PUT in-process (mockmail.session()), us':58} {without_socket:10.0f}")
    print(f"{'  floor: same session on a one-route constant Flask app, us':58} {flask_floor:10.0f}")
    print(f"{'  floor: requests alone (an adapter answering at once), us':58} {requests_floor:10.0f}")
    print()
    verdict = "PASS" if ours <= 1.1 * theirs else "FAIL"
    print(f"target: fixture per test no more than 1.1x pytest-httpserver's: {ours / theirs:.2f}x  {verdict}")
    for name, loopback_us in (("kept-alive", over_loopback), ("fresh connection", fresh)):
        speedup = loopback_us / without_socket
        verdict = "PASS" if speedup >= 5 else "FAIL"
        print(f"target: in-process >= 5x faster than loopback ({name}): {speedup:.1f}x  {verdict}")
    print(
        f"(no Flask mock can do better in-process than the constant app: {over_loopback / flask_floor:.1f}x "
        "against mockmail's kept-alive loopback)"
    )


if __name__ == "__main__":
    main()
