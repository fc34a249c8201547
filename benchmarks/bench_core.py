"""mockmail side by side with a bare Werkzeug server: start-up, and what a PUT costs.

Run: .venv/bin/python benchmarks/bench_core.py [--requests N] [--runs N]

Measured in one run, on loopback, against a bare threaded Werkzeug server answering a fixed
JSON body of the same size, each a separate process as a client in another language meets it:
- start-up: from spawning `mockmail serve --port 0 --quiet` to the first 200 answer to a PUT
  (median of --runs), and the same for the bare server;
- sequential PUTs over one kept-alive http.client connection (after a warm-up), median and
  p99, the two servers taking turns in blocks so the machine's drift weighs on both alike.
Targets: first 200 within 0.35 s of spawn; median PUT within 1.3x of the bare server. A
one-route Flask app answering the same constant is measured too: Flask's own per-request cost
is the floor under any Flask app's ratio.
Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from pathlib import Path

from timing import PATH, put_latencies, spawned

ALICE = "864FE52C-1C1C-469F-9308-51DAFEFE7436"
# The update a generated SDK client sends for alice; the login test passes (the scenario's servers
# accept it).
BODY = (Path(__file__).resolve().parent.parent / "fixtures" / "requests" / "sdk-update.json").read_text()
HEADERS = {"Authorization": ALICE, "Content-Type": "application/json"}

# The bare server: a fixed answer of the same size, the body read, nothing logged.
BARE_ANSWER = (
    b'{"count":1,"status":0,"statusCode":200,"response":{"mailboxId":1,"email":"alice@example.com",'
    b'"enabled":true,"name":"Alice Liddell","oAuthConnection":false,"signature":{"mailboxId":1,"html":"",'
    b'"isActive":false},"autoreply":{"mailboxId":1,"turnOn":false,"onlyContacts":false,"turnOnToDate":false,'
    b'"fromDate":"0001-01-01T00:00:00","toDate":"0001-01-01T00:00:00","subject":"","html":""},'
    b'"eMailInFolder":null,"quotaError":false,"authError":false,"isGroup":false,"isAlias":false,'
    b'"isTeamlabMailbox":false,"isDefault":true,"isSharedDomainMailbox":false,"dateCreated":null}}'
)
# The same answer from a one-route Flask app: the floor of any Flask app on this machine.
FLASK_SERVER = f"""
from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler, make_server
ANSWER = {BARE_ANSWER!r}
app = Flask("floor")
@app.put("{PATH}")
def update():
    request.get_data()
    return Response(ANSWER, content_type="application/json")
class Quiet(WSGIRequestHandler):
    def log_request(self, *args):
        pass
server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
print(f"serving on http://127.0.0.1:{{server.port}}", flush=True)
server.serve_forever()
"""
BARE_SERVER = f"""
import sys
from werkzeug.serving import WSGIRequestHandler, make_server
ANSWER = {BARE_ANSWER!r}
class Quiet(WSGIRequestHandler):
    def log_request(self, *args):
        pass
def app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(ANSWER)))])
    return [ANSWER]
server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
print(f"serving on http://127.0.0.1:{{server.port}}", flush=True)
server.serve_forever()
"""


def spawn_to_first_200(command: list[str]) -> float:
    with spawned(command, BODY, HEADERS) as (_, seconds):
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="PUTs measured on each server")
    parser.add_argument("--runs", type=int, default=7, help="spawns measured for start-up")
    options = parser.parse_args()

    mockmail_cli = [str(Path(sys.executable).with_name("mockmail")), "serve", "--port", "0", "--quiet"]
    ours = [spawn_to_first_200(mockmail_cli) for _ in range(options.runs)]
    bare_cli = [sys.executable, "-c", BARE_SERVER]
    theirs = [spawn_to_first_200(bare_cli) for _ in range(options.runs)]

    # Each a separate process, as a client in another language meets them.
    flask_cli = [sys.executable, "-c", FLASK_SERVER]
    with contextlib.ExitStack() as stack:
        ports = [
            stack.enter_context(spawned(cli, BODY, HEADERS))[0] for cli in (mockmail_cli, bare_cli, flask_cli)
        ]
        addresses = [("127.0.0.1", port) for port in ports]
        mock_times, bare_times, flask_times = put_latencies(addresses, BODY, HEADERS, options.requests)

    print(f"{'':32} {'mockmail':>10} {'bare Werkzeug':>14} {'1-route Flask':>14}")
    medians = f"{statistics.median(ours):10.3f} {statistics.median(theirs):14.3f}"
    print(f"{'spawn to first 200, median s':32} {medians}")
    print(f"{'spawn to first 200, min s':32} {min(ours):10.3f} {min(theirs):14.3f}")
    for label, quantile in (("PUT, median us", 49), ("PUT, p99 us", 98)):
        row = [
            statistics.quantiles(times, n=100)[quantile] / 1000
            for times in (mock_times, bare_times, flask_times)
        ]
        print(f"{label:32} {row[0]:10.0f} {row[1]:14.0f} {row[2]:14.0f}")
    print()
    startup = statistics.median(ours)
    verdict = "PASS" if startup <= 0.35 else "FAIL"
    print(f"target: first 200 within 0.35 s of spawn: {startup:.3f} s  {verdict}")
    ratio = statistics.median(mock_times) / statistics.median(bare_times)
    verdict = "PASS" if ratio <= 1.3 else "FAIL"
    print(f"target: median PUT within 1.3x of bare Werkzeug: {ratio:.2f}x  {verdict}")
    floor = statistics.median(flask_times) / statistics.median(bare_times)
    print(f"(a one-route Flask app answering a constant: {floor:.2f}x of bare Werkzeug)")


if __name__ == "__main__":
    main()
