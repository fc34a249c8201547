"""What faults that do not match cost a request: a scenario with none must not pay for the machinery.

Run: .venv/bin/python benchmarks/bench_faults.py [--requests N]

Two servers on loopback, one with no faults and one with 20 faults that match no request
(by method, path, email and user, so every kind of match is evaluated); sequential PUTs over
a kept-alive http.client connection to each, taking turns in blocks. Target: the median PUT
latency with the 20 faults within 1.1x of the one with none. Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import json
import statistics

from timing import median_us, p99_us, put_latencies

from mockmail import MockMailServer
from mockmail.scenarios import default_scenario

BODY = json.dumps({"email": "bob@example.com", "name": "Bob", "server": "imap.bob.example", "port": 993})
HEADERS = {"Authorization": "bob-token", "Content-Type": "application/json"}
NON_MATCHING = [
    {"match": {"method": "DELETE"}, "respond": "server_error"},
    {"match": {"path": "/api/2.0/mail/messages"}, "respond": "reset"},
    {"match": {"email": "nobody@example.com"}, "respond": "unavailable"},
    {"match": {"user": "nobody"}, "respond": {"delay_ms": 500}},
    {"match": {"method": "PUT", "email": "someone@example.com"}, "respond": "forbidden"},
] * 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="PUTs measured on each server")
    requests = parser.parse_args().requests
    scenario = default_scenario()
    with MockMailServer(scenario) as plain, MockMailServer(scenario) as faulted:
        for spec in NON_MATCHING:
            faulted.add_fault(spec)
        addresses = [(server.host, server.port) for server in (plain, faulted)]
        none, twenty = put_latencies(addresses, BODY, HEADERS, requests)
        assert all(status.fired == 0 for status in faulted.faults())
    print(f"{'PUT over a kept-alive connection':34} {'median us':>10} {'p99 us':>10}")
    for label, samples in (("no faults", none), ("20 faults, none matching", twenty)):
        print(f"{label:34} {median_us(samples):10.0f} {p99_us(samples):10.0f}")
    ratio = statistics.median(twenty) / statistics.median(none)
    verdict = "PASS" if ratio <= 1.1 else "FAIL"
    print(f"\ntarget: 20 non-matching faults within 1.1x of none: {ratio:.3f}x  {verdict}")


if __name__ == "__main__":
    main()
