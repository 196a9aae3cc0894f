"""What the agent knows of the tier above it (the cloud, or with `--hop` the hubs before it):
whether its calls are failing, since when, and each hop's own failures, for /health and for
the log. An agent whose cloud is gone still answers (the device and its cache alone,
uncorrected); this is how an operator sees it, without a warning per request.

Warnings are rate-limited (at most one per 30 s while the cloud fails, one per hop per 30 s),
since an agent answering all day would otherwise log one per request; each names the last
failure's reason. A server that answered and cannot be used (another model than the reward head
was calibrated for, another tokenizer, no OpenAI server) does not heal by waiting: that is said
once, as an ERROR naming the fix, when it is first found (and again only for another reason).
"""

from __future__ import annotations

import logging
import time

from inference.escalation import EscalationChain

log = logging.getLogger("fedhybrid.agent")
WARN_EVERY_S = 30.0


class UpstreamHealth:
    def __init__(self, device: str, cloud, clock=time.monotonic) -> None:
        self.device, self.cloud = device, cloud
        self.clock = clock  # what the 30 s between warnings are measured on (a test's own clock)
        self.failing_since: float | None = None  # wall time of the first failure in a row
        self._warned = float("-inf")  # monotonic time of the last warning
        # since the last warning (or since the cloud began failing): calls made that failed, and calls
        # the cloud's client refused without contacting the cloud (its circuit breaker open)
        self._failed = self._skipped = 0
        self._counted_from = time.time()  # wall time those counts start from
        self._hop_failed: dict[str, int] = {}  # per hop: failures already logged
        self._hop_warned: dict[str, float] = {}  # per hop: monotonic time of its last warning
        self._said_unusable: dict[int, str] = {}  # per client (by id): the unusable reason already logged

    def summary(self, failures_total: int, skipped_total: int) -> dict:
        """/health's view: "ok" or "failing" (since when), the calls failed and those not made
        (refused by the client's circuit breaker) since start, the last failure's reason (kept once
        the cloud answers again, as each hop's is; None if none failed or the client keeps none) and,
        with --hop, each tier above in the order asked."""
        failing = self.failing_since
        out = {"cloud": "ok" if failing is None else "failing",
               **({"cloud_failing_since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(failing))}
                  if failing is not None else {}),
               "cloud_failures_total": failures_total, "cloud_skipped_total": skipped_total,
               "cloud_last_failure": self._last_failure()}
        if isinstance(self.cloud, EscalationChain):
            out["hops"] = [{k: h[k] for k in ("tier", "calls", "answered", "failed", "skipped", "last_failure")}
                           for h in self.cloud.summary()]
        return out

    def down_at_start(self) -> None:
        """The tier above did not answer before the first request (the start-up probe, whose
        warning the caller logged): /health says failing from the first request on, not only
        once a request's call has failed, and the first call that reaches the cloud clears it."""
        self.failing_since = self._counted_from = time.time()
        self._warned = self.clock()  # the start said it: the next warning is due in 30 s

    def note(self, calls: int, failures: int, skipped: int, failures_total: int, skipped_total: int) -> None:
        """One request's calls (made, of them failed, and skipped: refused by the cloud's client
        without contacting the cloud) and the totals since start: log the cloud failing (at most
        every 30 s while it fails, counting the calls since the previous warning) and answering
        again, and a hop (--hop) failing: the next hop answers for it, so requests never show it."""
        if (calls or skipped) and isinstance(self.cloud, EscalationChain):
            self._note_hops()
        if failures or skipped:
            self._say_unusable()
            now = self.clock()
            self._failed += failures
            self._skipped += skipped
            if self.failing_since is None:
                self.failing_since = self._counted_from = time.time()
            if now - self._warned >= WARN_EVERY_S:
                totals = f"since start: {failures_total} failed" + (f", {skipped_total} not made" if skipped_total else "")
                last = self._last_failure()
                totals += f"; last: {last}" if last else ""
                log.warning("%s: %s (%s): the tokens they would have corrected go out as the device's until the "
                            "cloud answers again", self.device, self._counts(), totals)
                self._warned, self._counted_from = now, time.time()
                self._failed = self._skipped = 0
        elif calls and self.failing_since is not None:
            unwarned = f"; {self._counts()}" if self._failed or self._skipped else ""
            log.warning("%s: the cloud answers again (it had failed since %s%s)", self.device,
                        _clock(self.failing_since), unwarned)
            self.failing_since, self._warned = None, float("-inf")
            self._failed = self._skipped = 0

    def _counts(self) -> str:
        """The calls failed, and those not made, since the last warning (or since the cloud began failing)."""
        said = f"{self._failed} cloud call(s) failed or missed their deadline"
        if self._skipped:
            said += (f" and {self._skipped} were not made (the cloud client's circuit breaker, open after repeated "
                     "failures, refused them without contacting the cloud)")
        return f"{said} since {_clock(self._counted_from)}"

    def _last_failure(self) -> str | None:
        """Why the tier above last failed: the cloud client's reason or, with --hop, the top hop's
        (the hubs' own are in `hops`). None from a client that keeps none (the in-process cloud)."""
        if isinstance(self.cloud, EscalationChain):
            return self.cloud.summary()[-1]["last_failure"]
        return getattr(self.cloud, "last_failure", None)

    def _say_unusable(self) -> None:
        """An ERROR, once per reason, for each server above that answered and cannot be used
        (`RemoteCloud.unusable`): the rate-limited warnings would leave it among calls that fail."""
        hops = self.cloud.hops if isinstance(self.cloud, EscalationChain) else []
        clients = [(h.cloud, i < len(hops) - 1) for i, h in enumerate(hops)] or [(self.cloud, False)]
        for client, hub in clients:
            reason = getattr(client, "unusable", None)
            if reason is None:
                self._said_unusable.pop(id(client), None)  # healed: a later one is said again
                continue
            if self._said_unusable.get(id(client)) == reason:
                continue
            self._said_unusable[id(client)] = reason
            meanwhile = ("the next tier up answers for it" if hub else
                         "the tokens it would correct go out as the device's")
            log.error("%s: %s. Waiting will not help: it answers and cannot be used until that is fixed "
                      "(meanwhile %s; it is checked again after each breaker cool-down and taken once it passes)",
                      self.device, reason, meanwhile)

    def _note_hops(self) -> None:
        now = self.clock()
        for hop in self.cloud.summary():
            tier, failed = hop["tier"], hop["failed"]
            new = failed - self._hop_failed.get(tier, 0)
            if new > 0 and now - self._hop_warned.get(tier, float("-inf")) >= WARN_EVERY_S:
                self._hop_failed[tier], self._hop_warned[tier] = failed, now
                log.warning("%s: hop %s failed %d more call(s) (%d since start; last: %s): the next tier up "
                            "answered for it", self.device, tier, new, failed, hop["last_failure"])


def _clock(wall: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(wall))
