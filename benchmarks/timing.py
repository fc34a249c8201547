"""Shared by the benchmark scripts: the servers compared, PUTs over kept-alive connections, pinning."""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATH = "/api/2.0/mail/accounts"
BLOCK = 100
SPAWN_TIMEOUT_S = 10.0

ALICE = "864FE52C-1C1C-469F-9308-51DAFEFE7436"
# The update a generated SDK client sends for alice; the login test passes (the scenario's servers
# accept it).
SDK_BODY = (REPO / "fixtures" / "requests" / "sdk-update.json").read_text()
SDK_HEADERS = {"Authorization": ALICE, "Content-Type": "application/json"}

# The bare server: a fixed answer of the same size, the body read, nothing logged.
BARE_ANSWER = (
    b'{"count":1,"status":0,"statusCode":200,"response":{"mailboxId":1,"email":"alice@example.com",'
    b'"enabled":true,"name":"Alice Liddell","oAuthConnection":false,"signature":{"mailboxId":1,"html":"",'
    b'"isActive":false},"autoreply":{"mailboxId":1,"turnOn":false,"onlyContacts":false,"turnOnToDate":false,'
    b'"fromDate":"0001-01-01T00:00:00","toDate":"0001-01-01T00:00:00","subject":"","html":""},'
    b'"eMailInFolder":null,"quotaError":false,"authError":false,"isGroup":false,"isAlias":false,'
    b'"isTeamlabMailbox":false,"isDefault":true,"isSharedDomainMailbox":false,"dateCreated":null}}'
)
BARE_SERVER = f"""
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
# mockmail's own app (the bundled scenario) on waitress. Its default 4 threads: every request goes
# to one of them, and on two cores more threads only contend for the GIL. Up to 1,000 connections,
# as mockmail allows (waitress's default 100 would leave 156 of 256 load clients unserved), and
# the same listen backlog as mockmail's; quiet (its queue-depth warnings under load too).
WAITRESS_THREADS = 4
WAITRESS_SERVER = f"""
import logging
from waitress import create_server
from mockmail.app import create_app
logging.getLogger("waitress").setLevel(logging.ERROR)
server = create_server(
    create_app(), host="127.0.0.1", port=0, threads={WAITRESS_THREADS}, connection_limit=1000, backlog=1024
)
print(f"serving on http://127.0.0.1:{{server.effective_port}}", flush=True)
server.run()
"""
BASELINE = "c84c789"  # the last commit with the hand-written HTTP/1.1 server


@dataclass(frozen=True)
class Command:
    """A server to spawn: it prints a line ending in its URL first, then serves until SIGTERM."""

    label: str
    argv: list[str]
    cwd: str | None = None
    env: Mapping[str, str] | None = None


def mockmail_serve() -> Command:
    """`mockmail serve --port 0 --quiet`, the console script installed beside this interpreter."""
    return Command(
        "mockmail", [str(Path(sys.executable).with_name("mockmail")), "serve", "--port", "0", "--quiet"]
    )


def python_server(label: str, source: str) -> Command:
    return Command(label, [sys.executable, "-c", source])


def waitress_app() -> Command:
    return python_server(f"waitress {WAITRESS_THREADS} thr", WAITRESS_SERVER)


@contextlib.contextmanager
def baseline_serve(rev: str) -> Iterator[Command | str]:
    """`mockmail serve` as at ``rev``, spawned the same way; or why not, for the report.

    ``git archive`` unpacks the package as it was into a temporary folder (nothing in the
    repository changes, nothing is left if the run is killed but a folder in the temp dir),
    which PYTHONPATH and the working directory put before the installed, editable mockmail.
    """
    command = ["git", "-C", str(REPO), "archive", "--format=tar", rev, "mockmail"]
    try:
        tar = subprocess.run(command, capture_output=True, check=True).stdout
    except FileNotFoundError:
        yield "git is not available"
        return
    except subprocess.CalledProcessError as error:
        yield f"git archive {rev} failed: {error.stderr.decode(errors='replace').strip()}"
        return
    with tempfile.TemporaryDirectory(prefix="mockmail-baseline-") as folder:
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: refuse links out of the folder
                archive.extractall(folder, filter="data")
            else:  # our own repository's files
                archive.extractall(folder)
        paths = [folder, *filter(None, [os.environ.get("PYTHONPATH")])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
        where = subprocess.run(
            [sys.executable, "-c", "import mockmail.cli; print(mockmail.cli.__file__)"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not where.startswith(folder):
            yield f"PYTHONPATH did not win: the baseline imported {where}"
            return
        yield Command(f"{rev} (before)", mockmail_serve().argv, cwd=folder, env=env)


def put_latencies(
    addresses: list[tuple[str, int]], body: str, headers: Mapping[str, str], requests: int
) -> list[list[int]]:
    """Nanoseconds per sequential PUT to each (host, port), over one kept-alive connection each.

    After a warm-up block each, the servers take turns in blocks of BLOCK requests, so a change
    in the machine's speed during the run weighs on all of them alike.
    """
    connections = [http.client.HTTPConnection(host, port, timeout=10) for host, port in addresses]
    samples: list[list[int]] = [[] for _ in addresses]
    try:
        for connection in connections:
            _block(connection, body, headers, [])
        for _ in range(max(1, requests // BLOCK)):
            for connection, times in zip(connections, samples, strict=True):
                _block(connection, body, headers, times)
    finally:
        for connection in connections:
            connection.close()
    return samples


def _block(
    connection: http.client.HTTPConnection, body: str, headers: Mapping[str, str], times: list[int]
) -> None:
    for _ in range(BLOCK):
        started = time.perf_counter_ns()
        connection.request("PUT", PATH, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter_ns() - started)
        assert response.status == 200, response.status


def median_us(times: list[int]) -> float:
    return statistics.median(times) / 1000


def p99_us(times: list[int]) -> float:
    return statistics.quantiles(times, n=100)[98] / 1000


def put(port: int, body: str, headers: Mapping[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("PUT", PATH, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_for_200(port: int, body: str, headers: Mapping[str, str], deadline: float, label: str) -> None:
    """PUT until the server on ``port`` answers 200; TimeoutError at ``deadline`` (perf_counter)."""
    while time.perf_counter() < deadline:
        try:
            if put(port, body, headers) == 200:
                return
        except OSError:
            time.sleep(0.001)
    raise TimeoutError(f"{label} gave no 200 in time")


@contextlib.contextmanager
def spawned(
    command: list[str] | Command, body: str, headers: Mapping[str, str], *, cpus: set[int] | None = None
) -> Iterator[tuple[int, float]]:
    """Run ``command``, which prints its URL first; its port, and seconds from spawn to its first 200 PUT.

    ``cpus``: the CPUs it may run on (else this process's).
    """
    if isinstance(command, list):
        command = Command(command[0], command)
    started = time.perf_counter()
    process = subprocess.Popen(
        command.argv,
        stdout=subprocess.PIPE,
        text=True,
        cwd=command.cwd,
        env=None if command.env is None else dict(command.env),
    )
    try:
        if cpus is not None:
            os.sched_setaffinity(process.pid, cpus)
        assert process.stdout is not None
        port = int(process.stdout.readline().strip().rsplit(":", 1)[1])
        wait_for_200(port, body, headers, started + SPAWN_TIMEOUT_S, command.label)
        yield port, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)


def spawn_to_first_200(command: Command) -> float:
    with spawned(command, SDK_BODY, SDK_HEADERS) as (_, seconds):
        return seconds


@contextlib.contextmanager
def placed(cpus: set[int] | None) -> Iterator[None]:
    """This process, and what it spawns meanwhile, on ``cpus`` (None: wherever it may run)."""
    if cpus is None or not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def pin_to_one_cpu() -> str:
    """Run this process and those it spawns on one CPU; what was done, for the report.

    On a small shared machine, where the system placed the client and the servers moved two
    identical servers 0.64x-1.11x apart from run to run; on one CPU runs agree within a few percent.
    """
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"client and servers pinned to CPU {cpu}"


def split_cpus() -> tuple[set[int] | None, str]:
    """Run this process (and the load client it spawns) on one CPU, and the servers on the others.

    Returns the CPUs for the servers (None: not pinned) and what was done, for the report.
    """
    if not hasattr(os, "sched_setaffinity"):
        return None, "not pinned (no sched_setaffinity here)"
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, f"not pinned (only CPU {cpus[0]} is ours: client and servers share it)"
    os.sched_setaffinity(0, {cpus[0]})
    servers = set(cpus[1:])
    return servers, f"client pinned to CPU {cpus[0]}, servers to CPU {','.join(map(str, cpus[1:]))}"
