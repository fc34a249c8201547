"""What the workbench and the reasons cost a PUT: no page open, one page following the journal, --watch idle.

Run: .venv/bin/python benchmarks/bench_workbench.py [--requests N] [--rounds N] [--baseline REV]
         [--python-page] [--idle-seconds S] [--no-pin]

Measured on loopback, each server a `mockmail serve --port 0 --quiet` process of its own:
- no page open: this checkout's server against the one at --baseline (default cbf19b9, before
  the reasons; spawned from that commit's source as bench_core.py does), sequential PUTs (the
  SDK's update of alice) over a kept-alive connection to each, taking turns in blocks of 100;
- one page open: two servers of this checkout, one of them watched by a page following its
  journal (a headless Chromium on /_mockmail/, or without Playwright and Chromium, or with
  --python-page, a thread of this process asking /_mockmail/journal?after=SEQ every 500 ms, as
  the page does), PUTs taking turns as above;
- --watch idle: the CPU time a `mockmail serve --watch` process spends over --idle-seconds with
  no request, from /proc.
The client and the servers run on one CPU (--no-pin to let the system place them), the page on
the others, as a developer's browser would; --rounds rounds with fresh processes, the verdicts on
the median round's ratio of medians.
Targets: no page open, median PUT <= 1.02x the baseline's; one page following the journal,
<= 1.1x the unwatched server's; --watch idle under 1 % of a CPU. Takes about 90 s. Prints a
report and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

from timing import (
    SDK_BODY,
    SDK_HEADERS,
    Command,
    baseline_serve,
    median_us,
    mockmail_serve,
    placed,
    put_latencies,
    spawned,
)

from mockmail import bundled

BASELINE = "cbf19b9"  # the last commit before X-Mockmail-Reason and the batched log
POLL_S = 0.5  # the workbench's POLL_MS


Round = tuple[list[int], list[int]]  # nanoseconds per PUT: the reference server, the one measured


@contextlib.contextmanager
def python_page(url: str) -> Iterator[str]:
    """A thread asking for the journal after the newest entry seen every POLL_S, as the page does."""
    stop = threading.Event()

    def follow() -> None:
        seen = 0
        while not stop.wait(POLL_S):
            entries = json.loads(urlopen(f"{url}/_mockmail/journal?after={seen}", timeout=5).read())[
                "requests"
            ]
            seen = max([seen, *(entry["seq"] for entry in entries)])

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    try:
        yield "a Python thread polling /_mockmail/journal?after= every 500 ms"
    finally:
        stop.set()
        thread.join()


@contextlib.contextmanager
def chromium_page(url: str, cpus: set[int] | None) -> Iterator[str]:
    """The workbench open in a headless Chromium, following the journal on its own."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from conftest import launch_chromium  # the test suite's: Playwright's Chromium, else the system's
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, placed(cpus):
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto(f"{url}/_mockmail/")
            page.wait_for_selector("text=Journal")
            yield "the workbench in a headless Chromium"
        finally:
            browser.close()


def browser_available() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return shutil.which("chromium") is not None or shutil.which("chromium-browser") is not None


def no_page_round(current: Command, baseline: Command, requests: int) -> Round:
    with (
        spawned(baseline, SDK_BODY, SDK_HEADERS) as (before, _),
        spawned(current, SDK_BODY, SDK_HEADERS) as (now, _),
    ):
        reference, measured = put_latencies(
            [("127.0.0.1", before), ("127.0.0.1", now)], SDK_BODY, SDK_HEADERS, requests
        )
    return reference, measured


def page_round(
    current: Command, requests: int, chromium: bool, page_cpus: set[int] | None
) -> tuple[Round, str]:
    with (
        spawned(current, SDK_BODY, SDK_HEADERS) as (alone, _),
        spawned(current, SDK_BODY, SDK_HEADERS) as (watched, _),
    ):
        url = f"http://127.0.0.1:{watched}"
        page = chromium_page(url, page_cpus) if chromium else python_page(url)
        with page as how:
            reference, measured = put_latencies(
                [("127.0.0.1", alone), ("127.0.0.1", watched)], SDK_BODY, SDK_HEADERS, requests
            )
            entries = json.loads(urlopen(f"{url}/_mockmail/journal?after=0", timeout=5).read())["requests"]
            assert entries, "the watched server journaled nothing"
    return (reference, measured), how


def watch_idle_cpu(seconds: float) -> float:
    """The share of one CPU a `mockmail serve --watch` process uses with nothing to do."""
    with tempfile.TemporaryDirectory() as folder:
        scenario = Path(folder) / "scenario.yaml"
        scenario.write_text(bundled.path("basic").read_text("utf-8"))
        command = mockmail_serve()
        watching = Command("watch", [*command.argv, "--watch", "--scenario", str(scenario)])
        with spawned(watching, SDK_BODY, SDK_HEADERS) as (port, _):
            pid = _pid_on(port)
            time.sleep(1)  # let start-up settle
            before, started = _cpu_seconds(pid), time.perf_counter()
            time.sleep(seconds)
            return (_cpu_seconds(pid) - before) / (time.perf_counter() - started)


def _pid_on(port: int) -> int:
    """The pid of the newest child of this process: the server just spawned, serving ``port``."""
    children = [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _parent(int(pid)) == os.getpid()]
    assert children, f"no child process serves port {port}"
    return max(children)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ratio(rounds: list[Round]) -> tuple[float, str]:
    ratios = sorted(
        statistics.median(measured) / statistics.median(reference) for reference, measured in rounds
    )
    return statistics.median(ratios), f"rounds {ratios[0]:.3f}x-{ratios[-1]:.3f}x"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="PUTs measured on each server a round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, each with fresh servers")
    parser.add_argument("--baseline", default=BASELINE, help="the commit to compare with, no page open")
    parser.add_argument(
        "--python-page", action="store_true", help="poll from Python even if Chromium is here"
    )
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="how long --watch is watched idle")
    parser.add_argument("--no-pin", action="store_true", help="let the system place the processes")
    options = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = not options.no_pin and len(cpus) >= 2
    servers_cpu, page_cpus = ({cpus[-1]}, set(cpus[:-1])) if pin else (None, None)
    chromium = browser_available() and not options.python_page
    current = mockmail_serve()

    with baseline_serve(options.baseline) as baseline, placed(servers_cpu):
        before = (
            [no_page_round(current, baseline, options.requests) for _ in range(options.rounds)]
            if isinstance(baseline, Command)
            else []
        )
        watched = [page_round(current, options.requests, chromium, page_cpus) for _ in range(options.rounds)]
    idle = watch_idle_cpu(options.idle_seconds)

    place = (
        f"client and servers pinned to CPU {cpus[-1]}, the page on {','.join(map(str, cpus[:-1]))}"
        if pin
        else "not pinned"
    )
    print(f"({place}; {options.rounds} rounds of {options.requests} PUTs to each server)")
    print(f"(page: {watched[0][1]})")
    print(f"{'median PUT, us':44} {'reference':>10} {'measured':>10}")
    if before:
        pooled = [[time for round_ in before for time in round_[i]] for i in (0, 1)]
        label = f"no page: {options.baseline} / this checkout"
        print(f"{label:44} {median_us(pooled[0]):10.0f} {median_us(pooled[1]):10.0f}")
    rounds = [measured for measured, _ in watched]
    pooled = [[time for round_ in rounds for time in round_[i]] for i in (0, 1)]
    print(f"{'one page: unwatched / watched':44} {median_us(pooled[0]):10.0f} {median_us(pooled[1]):10.0f}")
    print()
    if before:
        value, spread = ratio(before)
        label = f"no page open, median PUT <= 1.02x {options.baseline}'s"
        print(f"target: {label}: {value:.3f}x ({spread})  {verdict(value <= 1.02)}")
    else:
        print(f"target: no page open, median PUT <= 1.02x the baseline's: SKIPPED ({baseline})")
    value, spread = ratio(rounds)
    print(f"target: one page following the journal <= 1.1x: {value:.3f}x ({spread})  {verdict(value <= 1.1)}")
    print(f"target: --watch idle under 1 % of a CPU: {idle * 100:.2f} %  {verdict(idle < 0.01)}")


if __name__ == "__main__":
    main()
