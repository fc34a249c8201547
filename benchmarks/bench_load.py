"""Throughput under concurrency: mockmail, the server it replaced, waitress and bare Werkzeug, many clients.

Run: .venv/bin/python benchmarks/bench_load.py [--seconds S] [--rounds N] [--max-requests N]
         [--clients 1,16,256] [--baseline REV] [--python-client] [--no-pin]

Measured in one run, on loopback (127.0.0.1 only), each server a separate process: mockmail
(`mockmail serve --port 0 --quiet`), the hand-written server it replaced (mockmail as at
--baseline, default c84c789, from that commit's source; skipped with a note without git), the
same Flask app on waitress (4 threads, up to 1,000 connections), and a bare threaded Werkzeug
server answering a constant (Werkzeug closes every connection after its answer, so there the
clients reconnect each time, which wrk does without counting an error).
1, 16 and 256 clients, each on its own kept-alive connection, send the PUT bench_core.py sends
(the SDK's update of alice) again as soon as the answer is in, for --seconds (3) a run and at
most --max-requests a run; --rounds (2) rounds, the servers taking turns at each number of
clients, in the reverse order every other round, after a 1 s warm-up each. Reported per
server and number of clients, over the rounds: requests/s, socket errors (connect, read, write,
timeout: no answer within 5 s), non-2xx answers, latency median and p99 (from the send of a
request to the end of its answer), and the client's CPU use (near 100% of its CPU: the client,
not the server, sets the pace).
The client is wrk (one thread; a Lua script makes the PUT, counts non-2xx answers, stops at
--max-requests, and prints the latency histogram) when it is on PATH (Debian: apt-get install
wrk), else (or with --python-client) this process: asyncio streams with h11 framing the
requests and parsing the answers, bounded by --seconds and --max-requests alike.
The client runs on one CPU and the servers on the others (--no-pin to let the system place
them): on a 2-core machine each then has a core, as a load test on a larger machine would.
Targets (mockmail): no socket error nor non-2xx answer with 16 and with 256 clients; p99 with
256 clients <= 10x the median with 1 client. 256 clients that never pause each wait 256 /
throughput on average (Little's law), so the second target asks for about 25x the requests/s
one client gets: the report prints that bound, and how even the wait is (p99 over the median).
Takes about 80 s. Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import h11
from timing import (
    BARE_SERVER,
    BASELINE,
    PATH,
    SDK_BODY,
    SDK_HEADERS,
    Command,
    baseline_serve,
    mockmail_serve,
    python_server,
    spawned,
    split_cpus,
    waitress_app,
)

HOST = "127.0.0.1"  # loopback only
REQUEST_TIMEOUT_S = 5.0
WARM_UP_S = 1  # wrk takes whole seconds

WRK_SCRIPT = """
wrk.method = "PUT"
wrk.body = "{body}"
{headers}
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  answered, non2xx = 0, 0
end
function response(status, headers, body)
  answered = answered + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if answered >= {limit} then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local e, non2xx = summary.errors, 0
  for _, thread in ipairs(threads) do non2xx = non2xx + thread:get("non2xx") end
  io.write(string.format("wrk-result %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.timeout, non2xx))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format("wrk-latency %d %d\\n", value, count))
  end
end
"""


@dataclass
class Outcome:
    """What clients got from one server at one number of clients, added up over runs."""

    requests: int = 0  # answers received
    seconds: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)  # connect, read, write, timeout
    non_2xx: int = 0
    latencies: Counter[int] = field(default_factory=Counter)  # microseconds: how many answers took that
    client_cpu: float = 0.0  # CPU seconds the client spent
    at_limit: bool = False  # a run stopped at --max-requests

    def add(self, other: Outcome) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.errors.update(other.errors)
        self.non_2xx += other.non_2xx
        self.latencies.update(other.latencies)
        self.client_cpu += other.client_cpu
        self.at_limit |= other.at_limit

    def quantile_ms(self, q: float) -> float:
        """The smallest latency at least ``q`` of the answers took no longer than."""
        total, seen = sum(self.latencies.values()), 0
        for value in sorted(self.latencies):
            seen += self.latencies[value]
            if seen >= q * total:
                return value / 1000
        return float("nan")


Load = Callable[[int, int, int, int], Outcome]  # (port, clients, seconds, max requests)


def lua_string(text: str) -> str:
    return "".join(f"\\{byte:03d}" for byte in text.encode())


def wrk_load(folder: Path) -> Load:
    """Runs wrk, one thread, with a script that PUTs SDK_BODY and reports everything measured."""

    def load(port: int, clients: int, seconds: int, limit: int) -> Outcome:
        headers = "\n".join(
            f'wrk.headers["{lua_string(k)}"] = "{lua_string(v)}"' for k, v in SDK_HEADERS.items()
        )
        script = folder / "put.lua"
        script.write_text(WRK_SCRIPT.format(body=lua_string(SDK_BODY), headers=headers, limit=limit))
        command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", f"--timeout={REQUEST_TIMEOUT_S:g}s", "-s"]
        before = _children_cpu()
        output = subprocess.run(
            [*command, str(script), f"http://{HOST}:{port}{PATH}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
        outcome = Outcome(client_cpu=_children_cpu() - before)
        for line in output.splitlines():
            if line.startswith("wrk-latency "):
                value, count = map(int, line.split()[1:])
                outcome.latencies[value] += count
            elif line.startswith("wrk-result "):
                answered, duration_us, connect, read, write, timeout, non_2xx = map(int, line.split()[1:])
                outcome.requests, outcome.seconds, outcome.non_2xx = answered, duration_us / 1e6, non_2xx
                outcome.errors.update(connect=connect, read=read, write=write, timeout=timeout)
        outcome.at_limit = outcome.requests >= limit
        return outcome

    return load


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def python_load(port: int, clients: int, seconds: int, limit: int) -> Outcome:
    """``clients`` asyncio connections from this process, PUTting until ``seconds`` or ``limit``."""
    outcome = Outcome()
    cpu, started = time.process_time(), time.perf_counter()
    with contextlib.suppress(TimeoutError):
        asyncio.run(_python_clients(port, clients, seconds, [limit], outcome))
    outcome.seconds = time.perf_counter() - started
    outcome.client_cpu = time.process_time() - cpu
    outcome.at_limit = outcome.requests >= limit
    return outcome


async def _python_clients(
    port: int, clients: int, seconds: float, budget: list[int], outcome: Outcome
) -> None:
    body = SDK_BODY.encode()
    headers = [("Host", f"{HOST}:{port}"), ("Content-Length", str(len(body))), *SDK_HEADERS.items()]
    request = h11.Request(method="PUT", target=PATH, headers=headers)
    async with asyncio.timeout(seconds):  # whatever is in flight then is not counted
        await asyncio.gather(*(_python_client(port, request, body, budget, outcome) for _ in range(clients)))


async def _python_client(
    port: int, request: h11.Request, body: bytes, budget: list[int], outcome: Outcome
) -> None:
    while budget[0] > 0:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            outcome.errors["connect"] += 1
            await asyncio.sleep(0.01)
            continue
        connection = h11.Connection(h11.CLIENT)
        try:
            # Until the server says it closes after an answer (Werkzeug's does after each): then reconnect.
            while budget[0] > 0 and connection.our_state is h11.IDLE:
                budget[0] -= 1
                started = time.perf_counter_ns()
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    status = await _exchange(connection, reader, writer, request, body)
                outcome.latencies[(time.perf_counter_ns() - started) // 1000] += 1
                outcome.requests += 1
                outcome.non_2xx += not 200 <= status <= 299
                if connection.states == {h11.CLIENT: h11.DONE, h11.SERVER: h11.DONE}:
                    connection.start_next_cycle()
        except TimeoutError:
            outcome.errors["timeout"] += 1
        except (OSError, h11.ProtocolError):
            outcome.errors["read"] += 1
        finally:
            writer.close()


async def _exchange(
    connection: h11.Connection,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: h11.Request,
    body: bytes,
) -> int:
    writer.write(
        (connection.send(request) or b"")
        + (connection.send(h11.Data(data=body)) or b"")
        + (connection.send(h11.EndOfMessage()) or b"")
    )
    status = 0
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.EndOfMessage):
            return status
        elif isinstance(event, h11.ConnectionClosed):
            raise ConnectionResetError("the server closed the connection")


def wrk_version() -> str:
    result = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"wrk (\S+)", result.stdout + result.stderr)
    return f"wrk {found.group(1)}" if found else "wrk"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=int, default=3, help="length of one run (whole seconds, as wrk takes)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="runs per server and number of clients")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="answers that end a run early")
    parser.add_argument("--clients", default="1,16,256", help="numbers of concurrent clients")
    parser.add_argument("--baseline", default=BASELINE, help="the commit with the server replaced")
    parser.add_argument("--python-client", action="store_true", help="the asyncio client even if wrk is here")
    parser.add_argument("--no-pin", action="store_true", help="let the system place the processes")
    options = parser.parse_args()
    levels = [int(clients) for clients in options.clients.split(",")]
    server_cpus, placement = (None, "not pinned") if options.no_pin else split_cpus()
    use_wrk = shutil.which("wrk") is not None and not options.python_client

    mockmail = mockmail_serve()
    servers: list[Command] = [mockmail, waitress_app(), python_server("bare Werkzeug", BARE_SERVER)]
    outcomes: dict[tuple[str, int], Outcome] = {}
    with contextlib.ExitStack() as stack:
        baseline = stack.enter_context(baseline_serve(options.baseline))
        if isinstance(baseline, Command):
            servers.insert(1, baseline)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mockmail-load-")))
        load = wrk_load(folder) if use_wrk else python_load
        ports = {
            server.label: stack.enter_context(spawned(server, SDK_BODY, SDK_HEADERS, cpus=server_cpus))[0]
            for server in servers
        }
        for server in servers:
            load(ports[server.label], 16, WARM_UP_S, options.max_requests)
        for round_ in range(options.rounds):
            for clients in levels:
                for server in servers if round_ % 2 == 0 else servers[::-1]:
                    run = load(ports[server.label], clients, options.seconds, options.max_requests)
                    outcomes.setdefault((server.label, clients), Outcome()).add(run)

    client = f"{wrk_version()}, 1 thread" if use_wrk else "asyncio + h11 in this process"
    print(f"(client: {client}; {placement})")
    print(f"({options.rounds} rounds of {options.seconds} s per server and number of clients, taking turns)")
    if isinstance(baseline, str):
        print(f"(no baseline: {baseline})")
    print_table(outcomes, servers, levels, options.max_requests)
    print()
    report_targets(outcomes, mockmail.label, levels)


def print_table(
    outcomes: dict[tuple[str, int], Outcome], servers: list[Command], levels: list[int], limit: int
) -> None:
    print(
        f"{'clients':>7}  {'server':18} {'req/s':>8} {'errors':>7} {'non-2xx':>8} {'median ms':>10} "
        f"{'p99 ms':>8} {'client CPU':>11}"
    )
    for clients in levels:
        for server in servers:
            outcome = outcomes[(server.label, clients)]
            rate = f"{outcome.requests / outcome.seconds:.0f}" + ("*" if outcome.at_limit else "")
            print(
                f"{clients:7}  {server.label:18} {rate:>8} {sum(outcome.errors.values()):7} "
                f"{outcome.non_2xx:8} {outcome.quantile_ms(0.5):10.2f} {outcome.quantile_ms(0.99):8.2f} "
                f"{outcome.client_cpu / outcome.seconds:10.0%}"
            )
    if any(outcome.at_limit for outcome in outcomes.values()):
        print(
            f"(* a run stopped at --max-requests {limit}; wrk then idles to the end: req/s is a lower bound)"
        )
    kinds = Counter[str]()
    for outcome in outcomes.values():
        kinds.update(outcome.errors)
    if +kinds:
        print(
            "(socket errors by kind, all runs: "
            + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
            + ")"
        )
    busy = [key for key, outcome in outcomes.items() if outcome.client_cpu > 0.9 * outcome.seconds]
    if busy:
        where = ", ".join(f"{label} at {clients}" for label, clients in busy)
        print(f"(the client used over 90% of its CPU against {where} clients: there it may set the pace)")


def report_targets(outcomes: dict[tuple[str, int], Outcome], label: str, levels: list[int]) -> None:
    for clients in (16, 256):
        if clients not in levels:
            print(f"target: no errors with {clients} clients: SKIPPED (not measured)")
            continue
        outcome = outcomes[(label, clients)]
        failed = sum(outcome.errors.values()) + outcome.non_2xx
        print(
            f"target: no socket error nor non-2xx answer with {clients} clients ({label}): {failed}  "
            f"{verdict(failed == 0)}"
        )
    if 1 not in levels or 256 not in levels:
        print("target: p99 with 256 clients <= 10x the median with 1 client: SKIPPED (not measured)")
        return
    one, many = outcomes[(label, 1)], outcomes[(label, 256)]
    median, p99 = one.quantile_ms(0.5), many.quantile_ms(0.99)
    print(
        f"target: p99 with 256 clients <= 10x the median with 1 client ({label}): {p99:.2f} ms / "
        f"{median:.2f} ms = {p99 / median:.0f}x  {verdict(p99 <= 10 * median)}"
    )
    rate = many.requests / many.seconds
    needed = 256 / (10 * median / 1000)
    print(
        f"(Little's law: 256 clients that never pause wait 256 / {rate:.0f} req/s = "
        f"{256 / rate * 1000:.1f} ms on average, on any server; a p99 within {10 * median:.2f} ms "
        f"needs over {needed:.0f} req/s, {needed / rate:.0f}x what it answered)"
    )
    print(
        f"(how even the wait is with 256 clients: p99 {p99 / many.quantile_ms(0.5):.2f}x the median, "
        f"{p99 / (256 / rate * 1000):.2f}x that average)"
    )


if __name__ == "__main__":
    main()
