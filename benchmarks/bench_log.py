"""What the `serve` request log costs: `mockmail serve` logging each request against `--quiet`, side by side.

Run: .venv/bin/python benchmarks/bench_log.py [--requests N] [--rounds N] [--seconds S]
         [--python-client] [--no-pin]

Two `mockmail serve --port 0` processes on loopback, on the bundled scenario: one with `--quiet`,
one logging each request, its stderr read by another process (`wc -l`, as a terminal or a CI
runner reads it), which counts the lines, so the report also shows that none was lost.
- latency: sequential PUTs (the SDK's update of alice) over a kept-alive http.client connection
  to each, taking turns in blocks of 100; the client, the servers and the reader on one CPU, as
  bench_faults.py places them (--no-pin to let the system place them); --rounds rounds, each
  with fresh processes, the verdict on the median round's ratio of medians;
- throughput: 16 kept-alive connections from wrk (one thread; this process's asyncio client
  without wrk on PATH, or with --python-client), --seconds a run, the servers taking turns,
  --rounds runs each, after a warm-up; the client on one CPU, the servers and the reader on the
  others, as bench_load.py places them.
Targets: with its log, the median PUT <= 1.1x the quiet server's, and requests/s >= the quiet
server's / 1.1. Takes about 40 s. Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench_load import Outcome, python_load, wrk_load, wrk_version
from timing import (
    BLOCK,
    SDK_BODY,
    SDK_HEADERS,
    SPAWN_TIMEOUT_S,
    median_us,
    p99_us,
    placed,
    put,
    put_latencies,
)

CLIENTS = 16
LIMIT = 1.1
SERVE = [str(Path(sys.executable).with_name("mockmail")), "serve", "--port", "0"]


@dataclass
class Server:
    """A spawned `mockmail serve`: its port, and for a logging one, the reader counting its lines."""

    port: int
    process: subprocess.Popen[str]
    reader: subprocess.Popen[str] | None

    def log_lines(self) -> int:
        """The lines the reader counted; call after the server has stopped."""
        assert self.reader is not None
        assert self.reader.stdout is not None
        return int(self.reader.stdout.read().split()[0])


@contextlib.contextmanager
def serve(*, quiet: bool, cpus: set[int] | None) -> Iterator[Server]:
    """`mockmail serve`, with --quiet or with its stderr read by `wc -l`; stopped (SIGTERM) on exit."""
    process = subprocess.Popen(
        [*SERVE, *(["--quiet"] if quiet else [])],
        stdout=subprocess.PIPE,
        stderr=None if quiet else subprocess.PIPE,
        text=True,
    )
    reader = None
    try:
        if not quiet:
            reader = subprocess.Popen(["wc", "-l"], stdin=process.stderr, stdout=subprocess.PIPE, text=True)
            assert process.stderr is not None
            process.stderr.close()  # the reader holds the pipe now
        if cpus is not None:
            for pid in (process.pid, *([reader.pid] if reader else [])):
                os.sched_setaffinity(pid, cpus)
        assert process.stdout is not None
        port = int(process.stdout.readline().strip().rsplit(":", 1)[1])
        started = time.perf_counter()
        while True:
            with contextlib.suppress(OSError):
                if put(port, SDK_BODY, SDK_HEADERS) == 200:
                    break
            if time.perf_counter() - started > SPAWN_TIMEOUT_S:
                raise TimeoutError(f"mockmail serve gave no 200 within {SPAWN_TIMEOUT_S} s")
            time.sleep(0.01)
        yield Server(port, process, reader)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if reader is not None:
            reader.wait(timeout=10)


def latency_round(requests: int, cpus: set[int] | None) -> tuple[list[int], list[int], int, int]:
    """PUT latencies of a fresh quiet and a fresh logging server, taking turns; lines logged, PUTs sent."""
    with serve(quiet=True, cpus=cpus) as quiet, serve(quiet=False, cpus=cpus) as logged:
        addresses = [("127.0.0.1", quiet.port), ("127.0.0.1", logged.port)]
        silent, logging = put_latencies(addresses, SDK_BODY, SDK_HEADERS, requests)
    sent = 1 + BLOCK + len(logging)  # the first 200 awaited, the warm-up block, the measured PUTs
    return silent, logging, logged.log_lines(), sent


def throughput(
    rounds: int, seconds: int, use_wrk: bool, cpus: set[int] | None
) -> tuple[Outcome, Outcome, int]:
    """Requests/s of a quiet and a logging server under CLIENTS connections, taking turns."""
    outcomes = (Outcome(), Outcome())
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mockmail-log-")))
        load = wrk_load(folder) if use_wrk else python_load
        servers = [stack.enter_context(serve(quiet=quiet, cpus=cpus)) for quiet in (True, False)]
        for server in servers:
            load(server.port, CLIENTS, 1, 1_000_000)  # warm-up
        for round_ in range(rounds):
            order = [0, 1] if round_ % 2 == 0 else [1, 0]
            for index in order:
                outcomes[index].add(load(servers[index].port, CLIENTS, seconds, 1_000_000))
    return outcomes[0], outcomes[1], servers[1].log_lines()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="PUTs measured on each server a round")
    parser.add_argument(
        "--rounds", type=int, default=5, help="latency rounds (fresh servers each), and load runs"
    )
    parser.add_argument("--seconds", type=int, default=3, help="length of one load run (whole seconds)")
    parser.add_argument("--python-client", action="store_true", help="the asyncio client even if wrk is here")
    parser.add_argument("--no-pin", action="store_true", help="let the system place the processes")
    options = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = not options.no_pin and len(cpus) >= 2
    use_wrk = shutil.which("wrk") is not None and not options.python_client

    with placed({cpus[-1]} if pin else None):
        rounds = [latency_round(options.requests, None) for _ in range(options.rounds)]
    with placed({cpus[0]} if pin else None):
        quiet, logged, lines = throughput(
            options.rounds, options.seconds, use_wrk, set(cpus[1:]) if pin else None
        )

    latency_place = f"client, servers and reader pinned to CPU {cpus[-1]}" if pin else "not pinned"
    print(f"(latency: {latency_place}; {options.rounds} rounds of {options.requests} PUTs to each server)")
    client = f"{wrk_version()}, 1 thread" if use_wrk else "asyncio + h11 in this process"
    servers = ",".join(map(str, cpus[1:]))
    load_place = f"client on CPU {cpus[0]}, servers and reader on {servers}" if pin else "not pinned"
    runs = f"{options.rounds} runs of {options.seconds} s each"
    print(f"(throughput: {client}, {CLIENTS} connections; {load_place}; {runs})")
    silent = [time for measured in rounds for time in measured[0]]
    logging = [time for measured in rounds for time in measured[1]]
    rates = [outcome.requests / outcome.seconds for outcome in (quiet, logged)]
    print(f"{'':44} {'--quiet':>10} {'logging':>10}")
    print(f"{'PUT, kept-alive, median us':44} {median_us(silent):10.0f} {median_us(logging):10.0f}")
    print(f"{'PUT, kept-alive, p99 us':44} {p99_us(silent):10.0f} {p99_us(logging):10.0f}")
    print(f"{f'requests/s, {CLIENTS} connections':44} {rates[0]:10.0f} {rates[1]:10.0f}")
    errors = sum(quiet.errors.values()) + sum(logged.errors.values()) + quiet.non_2xx + logged.non_2xx
    print(f"(socket errors and non-2xx answers under load: {errors})")
    logged_lines, sent = sum(measured[2] for measured in rounds), sum(measured[3] for measured in rounds)
    print(
        f"(log lines: {logged_lines} for the {sent} PUTs of the latency rounds; {lines} under load, "
        f"for the {logged.requests} answers the client counted and the warm-up)"
    )

    ratios = sorted(statistics.median(measured[1]) / statistics.median(measured[0]) for measured in rounds)
    ratio = statistics.median(ratios)
    spread = f"rounds {ratios[0]:.3f}x-{ratios[-1]:.3f}x"
    print(f"\ntarget: median PUT with the log <= {LIMIT}x --quiet's: {ratio:.3f}x ({spread})", end="")
    print(f"  {verdict(ratio <= LIMIT)}")
    fewer = rates[0] / rates[1]
    print(f"target: requests/s with the log >= --quiet's / {LIMIT}: 1/{fewer:.3f}  {verdict(fewer <= LIMIT)}")
    print(f"target: no log line lost: {verdict(logged_lines == sent and lines >= logged.requests)}")


if __name__ == "__main__":
    main()
