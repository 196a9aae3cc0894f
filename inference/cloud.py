"""The cloud tier as the decoder sees it: score a context, return predictions, on a deadline.

One call does three jobs in a single forward pass over the tokens the cloud has not seen
yet (session KV reuse):
- the cloud's top-k distribution for the next token (the escalation answer);
- its greedy choice and log-probabilities at earlier positions from `verify_from` on, so
  the decoder can verify tokens it accepted locally and roll back where they diverge
  (BiLD, arXiv 2302.07863);
- the same numbers serve as reward labels: r_t = log p(y_t|ctx) - max_v log p(v|ctx).

`LocalCloud` runs an HF causal LM in-process; `serving.remote_cloud` speaks vLLM's
OpenAI-compatible HTTP API. A call that fails or misses its deadline raises
`CloudUnavailable`; the decoder then keeps the device token (generation never fails for
lack of the cloud).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Protocol

import torch
from transformers import DynamicCache, PreTrainedModel

from inference.errors import InferenceError
from inference.kv import common_prefix, crop_cache, forward_kv
from inference.zoo import context_length


class CloudUnavailable(InferenceError):
    """The cloud failed, was unreachable or missed the deadline; keep the device token."""


class CloudSkipped(CloudUnavailable):
    """No call was made: the cloud's client (every hop's, in a chain) refused it without
    contacting any server, its circuit breaker open after repeated failures. Not a call made,
    so not a failed call either: the decoder counts it apart (`Generation.cloud_skipped`)."""


@dataclass(frozen=True)
class PositionScore:
    """The cloud's view of one position i of the context (the token t_i given t_<i)."""

    greedy: int  # argmax_v p(v | t_<i)
    token_logprob: float  # log p(t_i | t_<i)
    max_logprob: float  # max_v log p(v | t_<i)

    @property
    def reward(self) -> float:
        """r_i = log p(t_i) - max_v log p(v) (<= 0; 0 when t_i is the cloud's greedy choice)."""
        return self.token_logprob - self.max_logprob


@dataclass(frozen=True)
class CloudPrediction:
    """What one cloud call returns for a context t_0..t_{n-1}."""

    top_ids: list[int]  # top-k candidates for t_n, best first
    top_logprobs: list[float]  # their log-probabilities
    verified_from: int  # first position scored in `positions`
    positions: list[PositionScore]  # scores of t_i for i in [verified_from, n)
    tokens_computed: int  # tokens the cloud ran a forward pass over (cost)
    # with an escalation chain (inference/escalation.py): the tier that answered, whether it is
    # the chain's last hop (the source of truth: only its answers teach the correction cache),
    # and the tokens each hub below it computed for this call (tier, tokens)
    tier: str | None = None
    authoritative: bool = True
    hub_computed: tuple[tuple[str, int], ...] = ()

    @property
    def greedy(self) -> int:
        return self.top_ids[0]


class Cloud(Protocol):
    """Anything that can answer for the cloud tier."""

    vocab_size: int

    def predict(self, session: str, tokens: Sequence[int], verify_from: int, top_k: int,
                deadline_s: float) -> CloudPrediction:
        """Score `tokens` (the whole context so far) for `session`.

        Positions from `verify_from` (>= 1) to len(tokens)-1 are scored as well as the next
        token. Raises CloudUnavailable on failure or when `deadline_s` seconds pass.
        """
        ...

    def end_session(self, session: str) -> None:
        """Free the session's KV state (a later call with that id starts over)."""
        ...


@dataclass
class _Session:
    tokens: list[int] = field(default_factory=list)  # what the KV cache holds
    cache: DynamicCache | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def scores_from_logits(logits: torch.Tensor, tokens: Sequence[int], first_position: int,
                       top_k: int) -> tuple[list[int], list[float], list[PositionScore]]:
    """Turn logits over positions into (next top-k ids, their logprobs, position scores).

    `logits` is (m, V): row j predicts position first_position + j; the last row predicts
    the next token (position len(tokens)).
    """
    logprobs = torch.log_softmax(logits.float(), dim=-1)  # (m, V)
    maxes, argmaxes = logprobs[:-1].max(dim=-1)  # (m-1,)
    targets = torch.tensor(tokens[first_position: first_position + len(logits) - 1], dtype=torch.long)
    chosen = logprobs[:-1].gather(1, targets.view(-1, 1)).view(-1) if len(targets) else targets.float()
    positions = [PositionScore(int(g), float(c), float(m))
                 for g, c, m in zip(argmaxes.tolist(), chosen.tolist(), maxes.tolist())]
    top = torch.topk(logprobs[-1], k=min(top_k, logprobs.shape[-1]))
    return top.indices.tolist(), top.values.tolist(), positions


class LocalCloud:
    """An in-process HF causal LM as the cloud, with per-session KV reuse and deadlines.

    Calls run on one worker thread so a deadline can be enforced without killing the
    model mid-forward: a late call finishes in the background and its session stays
    consistent (the next call re-aligns the KV cache by longest common prefix).
    """

    def __init__(self, model: PreTrainedModel, max_sessions: int = 64, use_kv_cache: bool = True):
        self.model = model
        self.vocab_size = int(model.config.vocab_size)
        self.max_positions = context_length(model)
        self.use_kv_cache = use_kv_cache
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._sessions_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-cloud")
        self.calls = 0
        self.tokens_computed = 0

    def _session(self, session: str) -> _Session:
        with self._sessions_lock:
            state = self._sessions.get(session)
            if state is None:
                state = self._sessions[session] = _Session()
                while len(self._sessions) > self.max_sessions:
                    self._sessions.popitem(last=False)  # LRU eviction
            self._sessions.move_to_end(session)
            return state

    def end_session(self, session: str) -> None:
        with self._sessions_lock:
            self._sessions.pop(session, None)

    def predict(self, session: str, tokens: Sequence[int], verify_from: int, top_k: int,
                deadline_s: float) -> CloudPrediction:
        started = time.monotonic()
        tokens = list(tokens)
        if not tokens:
            raise InferenceError("the cloud needs at least one context token")
        if not 1 <= verify_from <= len(tokens):
            raise InferenceError(f"verify_from={verify_from} must lie in [1, {len(tokens)}]")
        state = self._session(session)
        # a session still busy with a late call cannot answer in time: fall back now
        if not state.lock.acquire(timeout=max(0.0, deadline_s)):
            raise CloudUnavailable(f"cloud session {session!r} is busy past the deadline")
        try:
            future = self._pool.submit(self._forward, state, tokens, verify_from, top_k)
        except RuntimeError as exc:  # pool shut down
            state.lock.release()
            raise CloudUnavailable(f"local cloud is shut down: {exc}") from exc
        future.add_done_callback(lambda _: state.lock.release())
        remaining = deadline_s - (time.monotonic() - started)
        try:
            return future.result(timeout=max(0.0, remaining))
        except FutureTimeout as exc:
            raise CloudUnavailable(f"local cloud missed its {deadline_s * 1e3:.0f} ms deadline") from exc
        except (RuntimeError, ValueError, IndexError) as exc:
            raise CloudUnavailable(f"local cloud failed: {exc}") from exc

    @torch.no_grad()
    def _forward(self, state: _Session, tokens: list[int], verify_from: int, top_k: int
                 ) -> CloudPrediction:
        if len(tokens) > self.max_positions:
            raise InferenceError(f"context of {len(tokens)} tokens exceeds the cloud's {self.max_positions}")
        device = next(self.model.parameters()).device
        # feed from `start`: everything before it is reused from the session's KV cache;
        # we need logits from position verify_from - 1 on, and at least one fed token
        reuse = common_prefix(state.tokens, tokens) if self.use_kv_cache else 0
        start = min(reuse, verify_from - 1, len(tokens) - 1)
        if state.cache is None or not self.use_kv_cache:
            state.cache, start = DynamicCache(), 0
        else:
            crop_cache(state.cache, start)
        ids = torch.tensor([tokens[start:]], dtype=torch.long, device=device)
        out = forward_kv(self.model, ids, state.cache)
        state.tokens = list(tokens)
        logits = out.logits[0, verify_from - 1 - start:].cpu()  # (n - verify_from + 1, V)
        top_ids, top_lps, positions = scores_from_logits(logits, tokens, verify_from, top_k)
        computed = len(tokens) - start
        self.calls += 1
        self.tokens_computed += computed
        return CloudPrediction(top_ids, top_lps, verify_from, positions, computed)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
