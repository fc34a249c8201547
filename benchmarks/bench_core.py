"""mockmail side by side with the server it replaced, waitress, and bare Werkzeug: start-up and a PUT.

Run: .venv/bin/python benchmarks/bench_core.py [--requests N] [--rounds N] [--runs N]
         [--baseline REV] [--placement {one-cpu,unpinned,both}]

Measured in one run, on loopback, each server a separate process as a client in another
language meets it:
- mockmail: `mockmail serve --port 0 --quiet` (h11 on an asyncio loop);
- the hand-written HTTP/1.1 server it replaced: mockmail as at --baseline (default c84c789),
  spawned the same way from that commit's source (`git archive` into a temporary folder put
  first on PYTHONPATH; skipped, with a note, without git or that commit);
- the same Flask app (mockmail.app.create_app(), the bundled scenario) on waitress, with its
  default 4 threads (on two cores more only contend for the GIL);
- a bare threaded Werkzeug server answering a fixed JSON body of the same size, and a one-route
  Flask app answering it: Flask's own per-request and import costs are the floor under any
  Flask app's ratios. Werkzeug's server closes every connection after its answer (it disables
  keep-alive), so its PUTs include a connect each (http.client reconnects by itself).
Figures:
- start-up: from spawning each server to its first 200 answer to a PUT, median of --runs, the
  servers taking turns;
- sequential PUTs (the SDK's update of alice) over one kept-alive http.client connection to
  each, after a warm-up, the servers taking turns in blocks of 100 so the machine's drift weighs
  on all alike; median and p99 pooled over --rounds rounds, each with fresh processes, in each
  of two placements, taking turns: all on one CPU (the CPU time client and server spend on a
  request; how bench_faults.py measures) and unpinned (what a client on a multi-core machine
  sees: a server that hands each request to another thread also pays for waking it on another
  CPU). Each is stable to a few percent from round to round on a 2-core machine, but they rank
  waitress differently, so both are reported.
Targets: mockmail's median PUT <= 1.25x the hand-written server's and <= 1.0x waitress's (the
median over rounds of the ratio of medians, in each placement); spawn to first 200 <= 1.5x bare
Werkzeug's; and, from before, first 200 within 0.35 s of spawn and median PUT within 1.3x of
bare Werkzeug. Takes about 40 s. Prints a report and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics

from timing import (
    BARE_SERVER,
    BASELINE,
    FLASK_SERVER,
    SDK_BODY,
    SDK_HEADERS,
    Command,
    baseline_serve,
    median_us,
    mockmail_serve,
    p99_us,
    placed,
    put_latencies,
    python_server,
    spawn_to_first_200,
    spawned,
    waitress_app,
)

# Where the PUTs run: unpinned, the client and a server mostly each have a CPU, and a server that
# hands a request to another thread pays for waking it on another CPU; on one CPU, each request's
# figure is the CPU time the client and the server spend on it.
Round = list[list[int]]  # nanoseconds per PUT, a list for each server
PLACEMENTS = {"one-cpu": "client and servers pinned to CPU {cpu}", "unpinned": "placed by the system"}


def latencies(servers: list[Command], requests: int) -> Round:
    """One round: each server spawned afresh, then PUTs to all of them taking turns."""
    with contextlib.ExitStack() as stack:
        ports = [stack.enter_context(spawned(server, SDK_BODY, SDK_HEADERS))[0] for server in servers]
        return put_latencies([("127.0.0.1", port) for port in ports], SDK_BODY, SDK_HEADERS, requests)


def ratio_line(rounds: list[Round], ours: int, theirs: int) -> tuple[float, str]:
    """The median over rounds of ours' median / theirs', and the spread of the rounds."""
    ratios = sorted(
        statistics.median(measured[ours]) / statistics.median(measured[theirs]) for measured in rounds
    )
    return statistics.median(ratios), f"(rounds {ratios[0]:.2f}x-{ratios[-1]:.2f}x)"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="PUTs measured on each server a round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds a placement, fresh servers each")
    parser.add_argument("--runs", type=int, default=7, help="spawns measured for start-up, each server")
    parser.add_argument("--baseline", default=BASELINE, help="the commit with the server replaced")
    parser.add_argument("--placement", choices=(*PLACEMENTS, "both"), default="both", help="where PUTs run")
    options = parser.parse_args()
    one_cpu = {max(os.sched_getaffinity(0))} if hasattr(os, "sched_setaffinity") else None
    cpus = {"one-cpu": one_cpu, "unpinned": None}
    placements = [name for name in PLACEMENTS if options.placement in (name, "both")]
    if one_cpu is None and "one-cpu" in placements:
        print("(cannot pin here: the one-cpu placement is left out)")
        placements = [name for name in placements if name != "one-cpu"] or ["unpinned"]

    mockmail, waitress = mockmail_serve(), waitress_app()
    bare, flask = python_server("bare Werkzeug", BARE_SERVER), python_server("1-route Flask", FLASK_SERVER)
    with baseline_serve(options.baseline) as baseline:
        servers = [mockmail, *([baseline] if isinstance(baseline, Command) else []), waitress, bare, flask]
        starts: list[list[float]] = [[] for _ in servers]
        with placed(one_cpu if placements == ["one-cpu"] else None):
            for _ in range(options.runs):
                for server, seconds in zip(servers, starts, strict=True):
                    seconds.append(spawn_to_first_200(server))
        rounds: dict[str, list[Round]] = {name: [] for name in placements}
        for _ in range(options.rounds):
            for name in placements:
                with placed(cpus[name]):
                    rounds[name].append(latencies(servers, options.requests))

    spawns = "on one CPU" if placements == ["one-cpu"] else "unpinned"
    print(f"(start-up: {options.runs} spawns of each server, taking turns, {spawns})")
    print(
        f"(PUTs: {options.rounds} rounds of {options.requests} to each server in each placement, "
        "fresh servers each round)"
    )
    for name in placements:
        print(f"({name}: {PLACEMENTS[name].format(cpu=max(one_cpu or {0}))})")
    if isinstance(baseline, str):
        print(f"(no baseline: {baseline})")
    print_table(servers, starts, rounds)
    ours, theirs, werkzeug, floor = (servers.index(server) for server in (mockmail, waitress, bare, flask))
    for name in placements:
        if isinstance(baseline, Command):
            label = f"<= 1.25x the hand-written server's ({options.baseline}), {name}"
            print_put_target(label, rounds[name], ours, servers.index(baseline), 1.25)
        else:
            print(f"target: median PUT <= 1.25x the hand-written server's: SKIPPED ({baseline})")
    for name in placements:
        print_put_target(f"<= 1.0x waitress's on the same app, {name}", rounds[name], ours, theirs, 1.0)
    startup = statistics.median(starts[ours]) / statistics.median(starts[werkzeug])
    print(f"target: spawn to first 200 <= 1.5x bare Werkzeug's: {startup:.2f}x  {verdict(startup <= 1.5)}")
    first_200 = statistics.median(starts[ours])
    print(f"target: first 200 within 0.35 s of spawn: {first_200:.3f} s  {verdict(first_200 <= 0.35)}")
    for name in placements:
        print_put_target(f"within 1.3x of bare Werkzeug, {name}", rounds[name], ours, werkzeug, 1.3)
    start_floor = statistics.median(starts[floor]) / statistics.median(starts[werkzeug])
    put_floors = ", ".join(
        f"{ratio_line(measured, floor, werkzeug)[0]:.2f}x {name}" for name, measured in rounds.items()
    )
    print(
        f"(a one-route Flask app answering a constant, the floor under any Flask app: spawn "
        f"{start_floor:.2f}x, PUT {put_floors} of bare Werkzeug)"
    )


def print_put_target(label: str, measured: list[Round], ours: int, other: int, limit: float) -> None:
    """One target line: mockmail's median PUT against another server's, over the rounds."""
    ratio, spread = ratio_line(measured, ours, other)
    print(f"target: median PUT {label}: {ratio:.2f}x {spread}  {verdict(ratio <= limit)}")


def print_table(servers: list[Command], starts: list[list[float]], rounds: dict[str, list[Round]]) -> None:
    print(f"{'':30}" + "".join(f"{server.label:>17}" for server in servers))
    print(f"{'spawn to first 200, median s':30}" + "".join(f"{statistics.median(s):17.3f}" for s in starts))
    print(f"{'spawn to first 200, min s':30}" + "".join(f"{min(s):17.3f}" for s in starts))
    for name, measured in rounds.items():
        pooled = [[time for one in measured for time in one[i]] for i in range(len(servers))]
        print(f"{f'PUT {name}, median us':30}" + "".join(f"{median_us(times):17.0f}" for times in pooled))
        print(f"{f'PUT {name}, p99 us':30}" + "".join(f"{p99_us(times):17.0f}" for times in pooled))
    print()


if __name__ == "__main__":
    main()
