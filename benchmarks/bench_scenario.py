"""What a large scenario costs to start: `mockmail serve` ready, beside libyaml alone reading the file.

Run: .venv/bin/python benchmarks/bench_scenario.py [--rounds N] [--sizes 1000,100000]

For each size, a scenario of that many accounts (100 to a user, each with the fields a real
account has) is written to a temporary folder; then, taking turns in each round, a fresh Python
process loads the file with `yaml.load(text, Loader=yaml.CSafeLoader)` alone (the time of that
call and the process's peak memory), and `mockmail serve --scenario FILE --port 0 --quiet` is
spawned and timed until its first 200 to a PUT (the whole of what a user waits for: the
interpreter, the imports, reading and validating the scenario, building the store, binding);
its peak memory is read from /proc before it is stopped. The verdict takes the median round.
Targets: 100,000 accounts ready in at most 1.5x the time CSafeLoader alone takes, under 300 MiB;
1,000 accounts ready in under 0.5 s. Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from timing import mockmail_serve, spawn_to_first_200, wait_for_200

PER_USER = 100
READY_TIMEOUT_S = 600.0
TARGET_RATIO = 1.5  # of CSafeLoader's time, for the largest scenario
TARGET_MIB = 300
TARGET_SMALL_S = 0.5  # ready, for 1,000 accounts
SMALL = 1000

CSAFE_ALONE = """
import json, resource, sys, time, yaml
text = open(sys.argv[1], encoding="utf-8").read()
started = time.perf_counter()
yaml.load(text, Loader=yaml.CSafeLoader)
seconds = time.perf_counter() - started
print(json.dumps([seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""


def write_scenario(path: Path, accounts: int) -> None:
    """``accounts`` accounts, PER_USER to a user; user N has token token-N, its first box boxM@..."""
    with path.open("w", encoding="utf-8") as out:
        out.write("version: 1\nstyle: wire\nusers:\n")
        for user in range((accounts + PER_USER - 1) // PER_USER):
            out.write(f"  - name: user{user:06d}\n    password: password-{user}\n")
            out.write(f"    token: token-{user:06d}\n    accounts:\n")
            for box in range(user * PER_USER, min(accounts, (user + 1) * PER_USER)):
                out.write(
                    f"      - email: box{box:07d}@example.com\n        name: Mailbox {box}\n"
                    "        server: imap.example.com\n        port: 993\n"
                    "        incoming_encryption_type: 1\n"
                    "        smtp_server: smtp.example.com\n        smtp_port: 465\n        smtp_auth: true\n"
                )


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float


def csafeloader_alone(path: Path) -> Run:
    """yaml.CSafeLoader reading ``path`` in a fresh process: the load call's time, the process's peak."""
    output = subprocess.run(
        [sys.executable, "-c", CSAFE_ALONE, str(path)], capture_output=True, text=True, check=True
    ).stdout
    seconds, peak = json.loads(output)
    return Run(seconds, peak)


def serve_ready(path: Path) -> Run:
    """`mockmail serve --scenario path`: seconds from spawn to its first 200 PUT, and its peak memory."""
    mockmail = str(Path(sys.executable).with_name("mockmail"))
    body = json.dumps({"email": "box0000000@example.com", "name": "Box"})
    headers = {"Authorization": "token-000000", "Content-Type": "application/json"}
    started = time.perf_counter()
    argv = [mockmail, "serve", "--scenario", str(path), "--port", "0", "--quiet"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # "mockmail serving on http://127.0.0.1:PORT", once loaded
        if not first:
            raise RuntimeError(f"mockmail serve exited with {process.wait()} before serving")
        port = int(first.strip().rsplit(":", 1)[1])
        # The summary that follows names every account: read it, or the server blocks writing it.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        wait_for_200(port, body, headers, started + READY_TIMEOUT_S, "mockmail serve")
        seconds = time.perf_counter() - started
        return Run(seconds, _peak_mib(process.pid))
    finally:
        process.terminate()
        process.wait(timeout=30)


def _peak_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM); without /proc, the largest of any child so far."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each with fresh processes")
    parser.add_argument(
        "--sizes", default=f"{SMALL},100000", help="accounts in the scenarios, as 1000,100000"
    )
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    floor = [spawn_to_first_200(mockmail_serve()) for _ in range(options.rounds)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mockmail-bench-scenario-") as folder:
        for size in sizes:
            path = Path(folder) / f"accounts-{size}.yaml"
            write_scenario(path, size)
            alone: list[Run] = []
            ready: list[Run] = []
            for _ in range(options.rounds):
                alone.append(csafeloader_alone(path))
                ready.append(serve_ready(path))
            rows.append((size, path.stat().st_size, alone, ready))
    print(f"Python {sys.version.split()[0]}; medians of {options.rounds} rounds; peaks are the largest")
    print(f"the floor: `mockmail serve` on the bundled scenario ready in {statistics.median(floor):.2f} s")
    print(
        f"{'accounts':>9} {'YAML MB':>8} {'CSafeLoader s':>14} {'MiB':>6}"
        f" {'serve ready s':>14} {'MiB':>6}  ratio"
    )
    verdicts = []
    for size, size_bytes, alone, ready in rows:
        alone_s = statistics.median(run.seconds for run in alone)
        ready_s = statistics.median(run.seconds for run in ready)
        ready_mib = max(run.peak_mib for run in ready)
        ratio = ready_s / alone_s
        print(
            f"{size:>9,} {size_bytes / 1e6:>8.1f} {alone_s:>14.2f} {max(run.peak_mib for run in alone):>6.0f}"
            f" {ready_s:>14.2f} {ready_mib:>6.0f} {ratio:>5.2f}x"
        )
        if size == SMALL:
            verdicts.append(
                _verdict(
                    f"{size:,} ready under {TARGET_SMALL_S} s: {ready_s:.2f} s", ready_s < TARGET_SMALL_S
                )
            )
        elif size == max(sizes):
            verdicts.append(
                _verdict(
                    f"{size:,} ready within {TARGET_RATIO}x CSafeLoader: {ratio:.2f}x", ratio <= TARGET_RATIO
                )
            )
            verdicts.append(
                _verdict(f"{size:,} under {TARGET_MIB} MiB: {ready_mib:.0f} MiB", ready_mib < TARGET_MIB)
            )
    print()
    print("\n".join(verdicts))


def _verdict(text: str, passed: bool) -> str:
    return f"target: {text}  {'PASS' if passed else 'FAIL'}"


if __name__ == "__main__":
    main()
