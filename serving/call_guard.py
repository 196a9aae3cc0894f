"""What a remote client's calls cost and whether to make the next one: the call statistics a
`RemoteCloud` reports, and its circuit breaker (after `threshold` consecutive failures calls
are refused at once, the decoder going on device-only, until `cooldown_s` passes and one
probe call is let through)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class CallStats:
    calls: int = 0
    failures: int = 0
    short_circuited: int = 0
    retries: int = 0
    tokens_sent: int = 0
    tokens_generated: int = 0
    tokens_computed: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "latencies_ms"} | {
            "p50_ms": self.percentile(0.5), "p95_ms": self.percentile(0.95)}


class Breaker:
    def __init__(self, threshold: int, cooldown_s: float):
        self.threshold, self.cooldown_s = threshold, cooldown_s
        self.failures = 0
        self.open_until = 0.0
        self.lock = threading.Lock()

    def allow(self) -> bool:
        with self.lock:
            if self.failures < self.threshold:
                return True
            if time.monotonic() >= self.open_until:
                self.open_until = time.monotonic() + self.cooldown_s  # one probe per cooldown
                return True
            return False

    def record(self, ok: bool) -> None:
        with self.lock:
            if ok:
                self.failures = 0
            else:
                self.failures += 1
                if self.failures >= self.threshold:
                    self.open_until = time.monotonic() + self.cooldown_s

    @property
    def is_open(self) -> bool:
        return self.failures >= self.threshold
