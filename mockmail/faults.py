"""Faults: which requests they apply to, when they fire, and what they answer instead."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.client import responses as _PHRASES
from typing import Any, Protocol

from mockmail.errors import GENERIC_MESSAGE, HRESULT_EXCEPTION, HRESULT_HTTP
from mockmail.paths import normalize_path
from mockmail.wsgi import ConnectionFault

# What a fault of each kind answers unless its own status, message or headers say otherwise.
LOGIN_FAILED_MESSAGE = '<span class="attempt_header">IMAP response:</span><br/>Authentication failed.'
KIND_DEFAULTS: dict[str, tuple[int, str, int, dict[str, str]]] = {
    "unauthorized": (401, "Unauthorized", HRESULT_EXCEPTION, {}),
    "expire_token": (401, "Unauthorized", HRESULT_EXCEPTION, {}),
    "server_error": (500, GENERIC_MESSAGE, HRESULT_EXCEPTION, {}),
    "payment_required": (402, "PaymentRequired", HRESULT_HTTP, {}),
    "forbidden": (403, "Forbidden", HRESULT_HTTP, {}),
    "unavailable": (503, "Service Unavailable", HRESULT_HTTP, {"Retry-After": "30"}),
    "login_failed": (500, LOGIN_FAILED_MESSAGE, HRESULT_EXCEPTION, {}),
    "malformed_json": (200, "", HRESULT_EXCEPTION, {}),
}
CONNECTION_KINDS = tuple(
    fault.value for fault in ConnectionFault
)  # carried out by the transport, see wsgi.py
KINDS = (*KIND_DEFAULTS, *CONNECTION_KINDS)
# Headers a fault may not set: the transport frames the body by them (the truncated kind cuts one short).
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})


@dataclass(frozen=True, slots=True)
class Answer:
    """What a fault does when it fires: wait, then answer (or only wait, when ``kind`` is None)."""

    kind: str | None = None  # one of KINDS; "status" for a plain status; None: latency only
    status: int = 0
    message: str = ""
    hresult: int = HRESULT_EXCEPTION
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_ms: float = 0
    jitter_ms: float = 0

    @property
    def latency_only(self) -> bool:
        return self.kind is None


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault as written in a scenario or sent to the control endpoint, after validation."""

    name: str
    answer: Answer
    method: str | None = None
    path: str | None = None
    email: str | None = None
    user: str | None = None
    after: int = 0
    every: int = 1
    times: int | None = None
    probability: float | None = None
    after_seconds: float = 0
    enabled: bool = True  # a disabled fault neither matches nor counts until it is enabled
    spec: Mapping[str, Any] = field(default_factory=dict)  # as given, for listing


def build_fault(spec: Mapping[str, Any], default_name: str) -> Fault:
    """A fault from its validated YAML or JSON form."""
    match = spec.get("match", {})
    return Fault(
        name=spec.get("name", default_name),
        answer=build_answer(spec["respond"]),
        method=match["method"].upper() if "method" in match else None,
        path=normalize_path(match["path"]) if "path" in match else None,
        email=match["email"].lower() if "email" in match else None,
        user=match["user"].lower() if "user" in match else None,
        after=spec.get("after", 0),
        every=spec.get("every", 1),
        times=spec.get("times"),
        probability=spec.get("probability"),
        after_seconds=spec.get("after_seconds", 0),
        enabled=spec.get("enabled", True),
        spec=dict(spec),
    )


def build_answer(respond: str | Mapping[str, Any]) -> Answer:
    """``respond``: a kind's name, or a mapping of kind, status, message, headers and latency."""
    options: Mapping[str, Any] = {"kind": respond} if isinstance(respond, str) else respond
    status: int | None = options.get("status")
    kind: str | None = options.get("kind")
    if kind is None and status is not None:
        kind = "unauthorized" if status == 401 else "status"
    default_status, message, hresult, headers = KIND_DEFAULTS.get(kind or "", (0, "", HRESULT_EXCEPTION, {}))
    if kind == "status" and status is not None:
        message = GENERIC_MESSAGE if status == 500 else _PHRASES.get(status, "Error")
    return Answer(
        kind=kind,
        status=status or default_status,
        message=options.get("message", message),
        hresult=options.get("hresult", hresult),
        headers={**headers, **options.get("headers", {})},
        delay_ms=options.get("delay_ms", 0),
        jitter_ms=options.get("jitter_ms", 0),
    )


class Facts(Protocol):
    """What faults match on: a request's method and path (normalized), its caller and its email.

    ``user`` and ``email`` are worked out when first read: the email needs the body parsed.
    """

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def user(self) -> str | None: ...

    @property
    def email(self) -> str | None: ...


@dataclass(slots=True)
class Decision:
    """The faults that fired for one request: total latency, and the one that answers, if any."""

    delay_s: float = 0.0
    answer: Answer | None = None
    fault: str | None = None  # the answering fault's name


class _Running:
    """A fault with its counters, its own random stream and whether it is switched on."""

    __slots__ = ("conditions", "enabled", "fault", "fired", "matched", "rng")

    def __init__(self, fault: Fault, seed: int, position: int) -> None:
        self.fault = fault
        # Only the conditions the fault has, cheapest first: the email needs the body parsed.
        self.conditions = tuple(
            (name, value)
            for name in ("method", "path", "user", "email")
            if (value := getattr(fault, name)) is not None
        )
        self.enabled = fault.enabled
        self.matched = 0
        self.fired = 0
        # Each fault has its own stream, so adding a fault never changes another's sequence.
        self.rng = random.Random(f"{seed}:{position}")

    def matches(self, facts: Facts, *, email: bool = True) -> bool:
        """Whether the request meets every condition; ``email=False`` takes the email as met."""
        for name, value in self.conditions:
            if (email or name != "email") and getattr(facts, name) != value:
                return False
        return True

    def due(self, elapsed: float) -> bool:
        """Counts this match and says whether the fault fires on it."""
        fault = self.fault
        self.matched += 1
        if elapsed < fault.after_seconds or self.matched <= fault.after:
            return False
        if (self.matched - fault.after) % fault.every:
            return False
        if fault.times is not None and self.fired >= fault.times:
            return False
        return fault.probability is None or self.rng.random() < fault.probability


@dataclass(frozen=True, slots=True)
class FaultStatus:
    """A fault as listed: its spec, how often it matched and fired, and whether it is switched on."""

    name: str
    spec: Mapping[str, Any]
    matched: int
    fired: int
    enabled: bool = True


class FaultPlan:
    """The faults of a running server, in order; thread-safe."""

    def __init__(self, faults: Iterable[Fault] = (), seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._running: list[_Running] = []
        self._positions = 0
        self._started = time.monotonic()
        self._delaying: tuple[_Running, ...] = ()  # the faults that add latency
        for fault in faults:
            self.add(fault)

    def __bool__(self) -> bool:
        return bool(self._running)

    def next_name(self) -> str:
        return f"fault-{self._positions + 1}"

    def add(self, fault: Fault) -> None:
        """Append a fault; one of the same name is replaced in place, its counters new."""
        with self._lock:
            self._positions += 1
            fresh = _Running(fault, self._seed, self._positions)
            for index, running in enumerate(self._running):
                if running.fault.name == fault.name:
                    self._running[index] = fresh
                    break
            else:
                self._running.append(fresh)
            self._note_delays()

    def remove(self, name: str) -> bool:
        """Delete the fault called ``name``; False if there is none."""
        with self._lock:
            kept = [running for running in self._running if running.fault.name != name]
            removed = len(kept) != len(self._running)
            self._running = kept
            self._note_delays()
            return removed

    def enable(self, name: str, enabled: bool = True) -> FaultStatus | None:
        """Switch the fault called ``name`` on or off, its counters kept; None if there is none.

        A disabled fault neither matches nor counts: the requests that pass while it is off are
        not among its ``matched``, and its ``after``, ``every`` and ``times`` go on from where they were.
        """
        with self._lock:
            for running in self._running:
                if running.fault.name == name:
                    running.enabled = enabled
                    self._note_delays()
                    return _status(running)
            return None

    def clear(self) -> None:
        with self._lock:
            self._running = []
            self._delaying = ()

    @property
    def delays(self) -> bool:
        """Whether any fault adds latency."""
        return bool(self._delaying)

    def may_delay(self, facts: Facts) -> bool:
        """Whether a latency fault might fire on the request: its email and triggers are not looked at."""
        return any(running.matches(facts, email=False) for running in self._delaying)

    def _note_delays(self) -> None:
        self._delaying = tuple(
            running for running in self._running if running.enabled and _delays(running.fault.answer)
        )

    def status(self) -> list[FaultStatus]:
        with self._lock:
            return [_status(running) for running in self._running]

    def decide(self, facts: Facts) -> Decision:
        """Count the request against every fault it matches and pick what happens to it."""
        decision = Decision()
        with self._lock:
            elapsed = time.monotonic() - self._started
            for running in self._running:
                if not running.enabled or not running.matches(facts) or not running.due(elapsed):
                    continue
                if decision.answer is not None:
                    continue  # counted, but an earlier fault already answers
                running.fired += 1
                answer = running.fault.answer
                decision.delay_s += _latency(answer, running.rng)
                if not answer.latency_only:
                    decision.answer, decision.fault = answer, running.fault.name
        return decision


def _status(running: _Running) -> FaultStatus:
    fault = running.fault
    return FaultStatus(fault.name, fault.spec, running.matched, running.fired, running.enabled)


def _delays(answer: Answer) -> bool:
    return bool(answer.delay_ms or answer.jitter_ms)


def _latency(answer: Answer, rng: random.Random) -> float:
    jitter = rng.uniform(0, answer.jitter_ms) if answer.jitter_ms else 0.0
    return (answer.delay_ms + jitter) / 1000
