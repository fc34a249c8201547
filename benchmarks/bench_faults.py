"""What faults that do not match cost a request: a scenario with none must not pay for the machinery.

Run: .venv/bin/python benchmarks/bench_faults.py [--requests N]

Two servers on loopback, one with no faults and one with 20 faults that match no request
(by method, path, email and user, so every kind of match is evaluated); sequential PUTs over
a kept-alive http.client connection to each, taking turns in blocks. Target: the median PUT
latency with the 20 faults within 1.1x of the one with none. Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time

from mockmail import MockMailServer
from mockmail.scenarios import default_scenario

PATH = "/api/2.0/mail/accounts"
BODY = json.dumps({"email": "bob@example.com", "name": "Bob", "server": "imap.bob.example", "port": 993})
HEADERS = {"Authorization": "bob-token", "Content-Type": "application/json"}
BLOCK = 100
NON_MATCHING = [
    {"match": {"method": "DELETE"}, "respond": "server_error"},
    {"match": {"path": "/api/2.0/mail/messages"}, "respond": "reset"},
    {"match": {"email": "nobody@example.com"}, "respond": "unavailable"},
    {"match": {"user": "nobody"}, "respond": {"delay_ms": 500}},
    {"match": {"method": "PUT", "email": "someone@example.com"}, "respond": "forbidden"},
] * 4


def put_timer(server: MockMailServer) -> tuple[http.client.HTTPConnection, list[int]]:
    return http.client.HTTPConnection(server.host, server.port, timeout=10), []


def run_block(connection: http.client.HTTPConnection, samples: list[int]) -> None:
    for _ in range(BLOCK):
        started = time.perf_counter_ns()
        connection.request("PUT", PATH, body=BODY, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        samples.append(time.perf_counter_ns() - started)
        assert response.status == 200, response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="PUTs measured on each server")
    blocks = max(1, parser.parse_args().requests // BLOCK)
    scenario = default_scenario()
    with MockMailServer(scenario) as plain, MockMailServer(scenario) as faulted:
        for spec in NON_MATCHING:
            faulted.add_fault(spec)
        runs = [put_timer(plain), put_timer(faulted)]
        for connection, samples in runs:  # warm-up
            run_block(connection, samples)
            samples.clear()
        for _ in range(blocks):
            for connection, samples in runs:
                run_block(connection, samples)
        assert all(status.fired == 0 for status in faulted.faults())
        for connection, _ in runs:
            connection.close()
    (_, none), (_, twenty) = runs
    print(f"{'PUT over a kept-alive connection':34} {'median us':>10} {'p99 us':>10}")
    for label, samples in (("no faults", none), ("20 faults, none matching", twenty)):
        p99 = statistics.quantiles(samples, n=100)[98] / 1000
        print(f"{label:34} {statistics.median(samples) / 1000:10.0f} {p99:10.0f}")
    ratio = statistics.median(twenty) / statistics.median(none)
    verdict = "PASS" if ratio <= 1.1 else "FAIL"
    print(f"\ntarget: 20 non-matching faults within 1.1x of none: {ratio:.3f}x  {verdict}")


if __name__ == "__main__":
    main()
