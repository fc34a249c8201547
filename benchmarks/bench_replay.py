"""What replay costs: a PUT answered from a 1,000-interaction recording against the stateful mock.

Run: .venv/bin/python benchmarks/bench_replay.py [--requests N]

- median PUT latency over a kept-alive http.client connection, replay (a recording of 1,000
  updates, the request matching one in the middle) against the stateful mock, taking turns
  in blocks; target: replay within 1.2x;
- the time to load a 10,000-interaction recording; target: under 1 s.
Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from timing import PATH, median_us, p99_us, put_latencies

from mockmail import MockMailServer
from mockmail.recording import Interaction, Message, Recording, cache_path, load_recording, save_recording
from mockmail.replay import Replay
from mockmail.scenarios import default_scenario
from mockmail.wire import envelope, updated_account

HEADERS = {"Authorization": "bob-token", "Content-Type": "application/json"}


def update(index: int) -> dict[str, object]:
    return {"email": "bob@example.com", "name": f"Bob {index}", "server": "imap.bob.example", "port": 993}


def synthetic(count: int) -> Recording:
    """``count`` recorded updates of bob's account, each with another name."""
    bob = default_scenario().users[1].accounts[0]
    interactions = []
    for index in range(count):
        sent = update(index)
        answer = envelope(updated_account(bob, "bob@example.com", None) | {"name": sent["name"]})
        interactions.append(
            Interaction(
                method="PUT",
                path=PATH,
                query={},
                request=Message(
                    {"Authorization": "<redacted:token>", "Content-Type": "application/json"}, sent
                ),
                status=200,
                response=Message({"Content-Type": "application/json; charset=UTF-8"}, answer),
            )
        )
    return Recording(interactions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="PUTs measured on each server")
    requests = parser.parse_args().requests
    body = json.dumps(update(500))
    with tempfile.TemporaryDirectory() as folder:
        small, large = Path(folder, "1000.yaml"), Path(folder, "10000.yaml")
        save_recording(small, synthetic(1000))
        save_recording(large, synthetic(10_000))
        loads = []
        for _ in range(3):
            started = time.perf_counter()
            load_recording(large)
            loads.append(time.perf_counter() - started)
        cache_path(large).unlink()
        started = time.perf_counter()
        load_recording(large)  # parses the YAML, and writes the cache again
        cold = time.perf_counter() - started
        with MockMailServer(replay=Replay(small)) as replaying, MockMailServer() as stateful:
            addresses = [(server.host, server.port) for server in (replaying, stateful)]
            replay_times, stateful_times = put_latencies(addresses, body, HEADERS, requests)
    print(f"{'PUT over a kept-alive connection':40} {'median us':>10} {'p99 us':>10}")
    for label, samples in (("replay, 1,000 interactions", replay_times), ("stateful mock", stateful_times)):
        print(f"{label:40} {median_us(samples):10.0f} {p99_us(samples):10.0f}")
    print(f"{'load a 10,000-interaction recording, s':40} {min(loads):10.3f}")
    print(f"{'the same without its cache (YAML parsed), s':40} {cold:10.3f}")
    print()
    ratio = statistics.median(replay_times) / statistics.median(stateful_times)
    print(
        f"target: replay within 1.2x of the stateful PUT: {ratio:.2f}x  {'PASS' if ratio <= 1.2 else 'FAIL'}"
    )
    verdict = "PASS" if min(loads) < 1 else "FAIL"
    print(f"target: 10,000 interactions load under 1 s: {min(loads):.3f} s  {verdict}")


if __name__ == "__main__":
    main()
