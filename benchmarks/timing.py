"""Shared by the benchmark scripts: PUTs over kept-alive connections, the servers taking turns."""

from __future__ import annotations

import contextlib
import http.client
import os
import statistics
import subprocess
import time
from collections.abc import Iterator, Mapping

PATH = "/api/2.0/mail/accounts"
BLOCK = 100
SPAWN_TIMEOUT_S = 10.0


def put_latencies(
    addresses: list[tuple[str, int]], body: str, headers: Mapping[str, str], requests: int
) -> list[list[int]]:
    """Nanoseconds per sequential PUT to each (host, port), over one kept-alive connection each.

    After a warm-up block each, the servers take turns in blocks of BLOCK requests, so a change
    in the machine's speed during the run weighs on all of them alike.
    """
    connections = [http.client.HTTPConnection(host, port, timeout=10) for host, port in addresses]
    samples: list[list[int]] = [[] for _ in addresses]
    try:
        for connection in connections:
            _block(connection, body, headers, [])
        for _ in range(max(1, requests // BLOCK)):
            for connection, times in zip(connections, samples, strict=True):
                _block(connection, body, headers, times)
    finally:
        for connection in connections:
            connection.close()
    return samples


def _block(
    connection: http.client.HTTPConnection, body: str, headers: Mapping[str, str], times: list[int]
) -> None:
    for _ in range(BLOCK):
        started = time.perf_counter_ns()
        connection.request("PUT", PATH, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter_ns() - started)
        assert response.status == 200, response.status


def median_us(times: list[int]) -> float:
    return statistics.median(times) / 1000


def p99_us(times: list[int]) -> float:
    return statistics.quantiles(times, n=100)[98] / 1000


def put(port: int, body: str, headers: Mapping[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("PUT", PATH, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@contextlib.contextmanager
def spawned(command: list[str], body: str, headers: Mapping[str, str]) -> Iterator[tuple[int, float]]:
    """Run ``command``, which prints its URL first; its port, and seconds from spawn to its first 200 PUT."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip().rsplit(":", 1)[1])
        while time.perf_counter() - started < SPAWN_TIMEOUT_S:
            try:
                if put(port, body, headers) == 200:
                    break
            except OSError:
                time.sleep(0.001)
        else:
            raise TimeoutError(f"{command[0]} gave no 200 within {SPAWN_TIMEOUT_S} s")
        yield port, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)


def pin_to_one_cpu() -> str:
    """Run this process and those it spawns on one CPU; what was done, for the report.

    On a small shared machine, where the system placed the client and the servers moved two
    identical servers 0.64x-1.11x apart from run to run; on one CPU runs agree within a few percent.
    """
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"client and servers pinned to CPU {cpu}"
