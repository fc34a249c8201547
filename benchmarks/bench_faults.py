"""What faults that do not match cost a request: a scenario with none must not pay for the machinery.

Run: .venv/bin/python benchmarks/bench_faults.py [--requests N]

Two `mockmail serve` processes on loopback, one on the default scenario with no faults and one
on the same scenario with 20 faults that match no request (by method, path, email and user, so
every kind of match is evaluated); sequential PUTs over a kept-alive http.client connection to
each, taking turns in blocks. Each server has a process of its own: two servers and the client
sharing one interpreter measured up to 1.7x apart with no faults on either (threads contending
for the GIL on two cores). Target: the median PUT latency with the 20 faults within 1.1x of the
one with none. Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
from importlib import resources
from pathlib import Path
from urllib.request import urlopen

import yaml
from timing import median_us, p99_us, put_latencies, spawned

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
    serve = [str(Path(sys.executable).with_name("mockmail")), "serve", "--port", "0", "--quiet"]
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        faulted = Path(folder) / "faulted.yaml"
        scenario = yaml.safe_load(resources.files("mockmail").joinpath("default.yaml").read_text("utf-8"))
        faulted.write_text(yaml.safe_dump({**scenario, "faults": NON_MATCHING}), encoding="utf-8")
        commands = [serve, [*serve, "--scenario", str(faulted)]]
        ports = [stack.enter_context(spawned(command, BODY, HEADERS))[0] for command in commands]
        none, twenty = put_latencies([("127.0.0.1", port) for port in ports], BODY, HEADERS, requests)
        faults = json.loads(urlopen(f"http://127.0.0.1:{ports[1]}/_mockmail/faults").read())["faults"]
        assert len(faults) == len(NON_MATCHING)
        assert all(fault["fired"] == 0 for fault in faults), faults
    print(f"{'PUT over a kept-alive connection':34} {'median us':>10} {'p99 us':>10}")
    for label, samples in (("no faults", none), ("20 faults, none matching", twenty)):
        print(f"{label:34} {median_us(samples):10.0f} {p99_us(samples):10.0f}")
    ratio = statistics.median(twenty) / statistics.median(none)
    verdict = "PASS" if ratio <= 1.1 else "FAIL"
    print(f"\ntarget: 20 non-matching faults within 1.1x of none: {ratio:.3f}x  {verdict}")


if __name__ == "__main__":
    main()
