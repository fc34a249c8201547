"""What faults that do not match cost a request: a scenario with none must not pay for the machinery.

Run: .venv/bin/python benchmarks/bench_faults.py [--requests N] [--rounds N] [--no-pin]

Two `mockmail serve` processes on loopback, one on the default scenario with no faults and one
on the same scenario with 20 faults that match no request (by method, path, email and user, so
every kind of match is evaluated); sequential PUTs over a kept-alive http.client connection to
each, taking turns in blocks. Each server has a process of its own: two servers and the client
sharing one interpreter measured up to 1.7x apart with no faults on either (threads contending
for the GIL on two cores). Two fault-free server processes still measured 0.64x-1.11x apart, by
where the system placed them, so the client and the servers run on one CPU (--no-pin to
compare), in --rounds rounds with fresh processes, and the verdict takes the median round.
Target: the median PUT latency with the 20 faults within 1.1x of the one with none. Prints a
report and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.request import urlopen

import yaml
from timing import median_us, p99_us, pin_to_one_cpu, put_latencies, spawned

from mockmail import bundled

BODY = json.dumps({"email": "bob@example.com", "name": "Bob", "server": "imap.bob.example", "port": 993})
HEADERS = {"Authorization": "bob-token", "Content-Type": "application/json"}
NON_MATCHING = [
    {"match": {"method": "DELETE"}, "respond": "server_error"},
    {"match": {"path": "/api/2.0/mail/messages"}, "respond": "reset"},
    {"match": {"email": "nobody@example.com"}, "respond": "unavailable"},
    {"match": {"user": "nobody"}, "respond": {"delay_ms": 500}},
    {"match": {"method": "PUT", "email": "someone@example.com"}, "respond": "forbidden"},
] * 4


def measure(serve: list[str], faulted: Path, requests: int) -> tuple[list[int], list[int]]:
    """PUT latencies of a fresh server with no faults and one with the 20, taking turns."""
    with contextlib.ExitStack() as stack:
        commands = [serve, [*serve, "--scenario", str(faulted)]]
        ports = [stack.enter_context(spawned(command, BODY, HEADERS))[0] for command in commands]
        none, twenty = put_latencies([("127.0.0.1", port) for port in ports], BODY, HEADERS, requests)
        faults = json.loads(urlopen(f"http://127.0.0.1:{ports[1]}/_mockmail/faults").read())["faults"]
    assert len(faults) == len(NON_MATCHING)
    assert all(fault["fired"] == 0 for fault in faults), faults
    return none, twenty


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="PUTs measured on each server a round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, each with two fresh servers")
    parser.add_argument("--no-pin", action="store_true", help="let the system place the processes")
    options = parser.parse_args()
    placement = "not pinned" if options.no_pin else pin_to_one_cpu()
    serve = [str(Path(sys.executable).with_name("mockmail")), "serve", "--port", "0", "--quiet"]
    with tempfile.TemporaryDirectory() as folder:
        faulted = Path(folder) / "faulted.yaml"
        scenario = yaml.safe_load(bundled.path("basic").read_text("utf-8"))
        faulted.write_text(yaml.safe_dump({**scenario, "faults": NON_MATCHING}), encoding="utf-8")
        rounds = [measure(serve, faulted, options.requests) for _ in range(options.rounds)]
    print(f"({placement})")
    print(f"{'PUT over a kept-alive connection':34} {'median us':>10} {'p99 us':>10}")
    for label, index in (("no faults", 0), ("20 faults, none matching", 1)):
        samples = [time for measured in rounds for time in measured[index]]
        print(f"{label:34} {median_us(samples):10.0f} {p99_us(samples):10.0f}")
    ratios = sorted(statistics.median(twenty) / statistics.median(none) for none, twenty in rounds)
    ratio = statistics.median(ratios)
    verdict = "PASS" if ratio <= 1.1 else "FAIL"
    spread = f"rounds {ratios[0]:.3f}x-{ratios[-1]:.3f}x"
    print(f"\ntarget: 20 non-matching faults within 1.1x of none: {ratio:.3f}x ({spread})  {verdict}")


if __name__ == "__main__":
    main()
