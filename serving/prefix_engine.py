"""Server-side completion engine with automatic prefix reuse (as vLLM's prefix caching).

Requests carry no session id: a request whose prompt extends (or shares a prefix with) an
earlier sequence reuses that sequence's KV cache, so compute is proportional to the new
tokens. The pool is bounded (entries and cached tokens) and evicts least recently used.

Each pooled sequence also keeps the per-position log-probabilities already computed
(top-K ids and values, and the log-probability of the actual token), so `echo` requests
can return prompt log-probs for reused positions without recomputing them.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from transformers import DynamicCache, PreTrainedModel

from inference.kv import common_prefix, crop_cache, forward_kv
from inference.sampling import sample_token
from inference.zoo import context_length
from serving.errors import ServingError

MAX_TOP_K = 20  # log-probs kept per position (the OpenAI API allows up to 20)


@dataclass
class _Sequence:
    """A pooled sequence. Invariants: len(token_lps) == len(tokens) == KV length;
    token_lps[i] = log p(tokens[i] | tokens[:i]) (None for i = 0); top_ids/top_lps[i] hold
    the top-K of p(. | tokens[:i]) for i in 1..len(tokens); last_lps is the full
    distribution p(. | tokens) or None once cropped."""

    tokens: list[int] = field(default_factory=list)
    cache: DynamicCache = field(default_factory=DynamicCache)
    token_lps: list[float | None] = field(default_factory=list)
    top_ids: list[list[int]] = field(default_factory=lambda: [[]])
    top_lps: list[list[float]] = field(default_factory=lambda: [[]])
    last_lps: torch.Tensor | None = None

    def fork(self, length: int) -> _Sequence:
        """A new sequence holding this one's first `length` positions (this one unchanged)."""
        child = _Sequence(list(self.tokens[:length]), copy.deepcopy(self.cache),
                          list(self.token_lps[:length]), [list(x) for x in self.top_ids[: length + 1]],
                          [list(x) for x in self.top_lps[: length + 1]], None)
        crop_cache(child.cache, length)
        return child

    def crop(self, length: int) -> None:
        if length < len(self.tokens):
            crop_cache(self.cache, length)
            del self.tokens[length:], self.token_lps[length:]
            del self.top_ids[length + 1:], self.top_lps[length + 1:]
            self.last_lps = None


@dataclass(frozen=True)
class EngineResult:
    prompt_token_logprobs: list[float | None]  # per prompt token (None for the first)
    prompt_top: list[dict[int, float] | None]  # per prompt token (None for the first)
    generated: list[int]
    generated_logprobs: list[float]
    generated_top: list[dict[int, float]]
    tokens_computed: int
    tokens_reused: int


class PrefixEngine:
    """Runs completions for one HF causal LM; thread-safe (one forward at a time)."""

    def __init__(self, model: PreTrainedModel, max_entries: int = 64, max_cached_tokens: int = 65536,
                 prefix_reuse: bool = True):
        if max_entries < 1 or max_cached_tokens < 1:
            raise ServingError("max_entries and max_cached_tokens must be positive")
        self.model = model
        self.vocab_size = int(model.config.vocab_size)
        self.max_positions = context_length(model)
        self.max_entries, self.max_cached_tokens = max_entries, max_cached_tokens
        self.prefix_reuse = prefix_reuse
        self._pool: OrderedDict[int, _Sequence] = OrderedDict()
        self._next_id = 0
        self._lock = threading.Lock()
        self.stats = {"requests": 0, "tokens_computed": 0, "tokens_reused": 0, "evictions": 0}

    # -- pool ----------------------------------------------------------------------------------
    def _take_best(self, prompt: list[int]) -> tuple[_Sequence | None, int]:
        """The pooled sequence sharing the longest prefix with `prompt`.

        A prompt that extends a whole sequence takes it over; one that shares only part of
        it (another device's text, or a rollback) gets a copy of that prefix, and the
        original stays pooled for its owner.
        """
        best_id, best_len = None, 0
        if self.prefix_reuse:
            for seq_id, seq in self._pool.items():
                n = common_prefix(seq.tokens, prompt)
                if n > best_len:
                    best_id, best_len = seq_id, n
        if best_id is None:
            return None, 0
        seq = self._pool[best_id]
        if best_len >= len(seq.tokens):
            return self._pool.pop(best_id), best_len
        return seq.fork(best_len), best_len

    def _put(self, seq: _Sequence) -> None:
        seq.last_used = time.monotonic()
        self._pool[self._next_id] = seq
        self._next_id += 1
        while len(self._pool) > self.max_entries or (
                len(self._pool) > 1 and sum(len(s.tokens) for s in self._pool.values()) > self.max_cached_tokens):
            self._pool.popitem(last=False)
            self.stats["evictions"] += 1

    @property
    def cached_tokens(self) -> int:
        return sum(len(s.tokens) for s in self._pool.values())

    # -- completion -------------------------------------------------------------------------
    @torch.no_grad()
    def complete(self, prompt: list[int], max_tokens: int, top_k: int, echo: bool,
                 temperature: float = 0.0, seed: int | None = None, eos_id: int | None = None,
                 on_token: Callable[[int, float, dict[int, float]], bool] | None = None) -> EngineResult:
        """Score the prompt and generate up to `max_tokens` tokens.

        Generation ends after `eos_id` (when given) or when `on_token(token, logprob, top)`
        returns True (a stop sequence, a client that went away).

        Raises:
            ServingError: empty prompt, ids out of vocabulary, or a context over the limit.
        """
        if not prompt:
            raise ServingError("prompt must hold at least one token id")
        if min(prompt) < 0 or max(prompt) >= self.vocab_size:
            raise ServingError(f"prompt token ids must lie in [0, {self.vocab_size})")
        if len(prompt) + max_tokens > self.max_positions:
            raise ServingError(f"prompt ({len(prompt)}) + max_tokens ({max_tokens}) exceeds the "
                             f"model's context of {self.max_positions} tokens")
        top_k = max(0, min(top_k, MAX_TOP_K))
        with self._lock:
            return self._complete(list(prompt), max_tokens, top_k, echo, temperature, seed, eos_id, on_token)

    def _complete(self, prompt, max_tokens, top_k, echo, temperature, seed, eos_id, on_token) -> EngineResult:
        device = next(self.model.parameters()).device
        seq, reuse = self._take_best(prompt)
        reuse = min(reuse, len(prompt) - 1)  # feed at least one token to get the next distribution
        seq = seq or _Sequence()
        seq.crop(reuse)
        if seq.last_lps is None and reuse > 0:
            # the distribution after the reused prefix is gone: step back one token and
            # re-feed it (its own log-prob is already known)
            known = seq.token_lps[reuse - 1]
            seq.crop(reuse - 1)
            reuse -= 1
            carried = known
        else:
            carried = None
        gen = torch.Generator().manual_seed((seed or 0) % (2**63))  # torch seeds are 64-bit unsigned
        computed = 0

        def feed(chunk: list[int], first_lp: float | None = None) -> torch.Tensor:
            nonlocal computed
            if seq.last_lps is not None:
                first_lp = float(seq.last_lps[chunk[0]])
            ids = torch.tensor([chunk], dtype=torch.long, device=device)
            out = forward_kv(self.model, ids, seq.cache)
            lps = torch.log_softmax(out.logits[0].float(), dim=-1).cpu()  # (len(chunk), V)
            seq.token_lps.append(first_lp if seq.tokens else None)
            seq.token_lps.extend(float(lps[j - 1, chunk[j]]) for j in range(1, len(chunk)))
            seq.tokens.extend(chunk)
            top = torch.topk(lps, MAX_TOP_K, dim=-1)
            seq.top_ids.extend(top.indices.tolist())
            seq.top_lps.extend(top.values.tolist())
            seq.last_lps = lps[-1]
            computed += len(chunk)
            return lps[-1]

        next_lps = feed(prompt[reuse:], carried)
        generated, gen_lps, gen_top = [], [], []
        for step in range(max_tokens):
            token = sample_token(next_lps, temperature, gen)
            generated.append(token)
            gen_lps.append(float(next_lps[token]))
            gen_top.append(_top_dict(next_lps, top_k))
            stop = on_token is not None and on_token(token, gen_lps[-1], gen_top[-1])
            if stop or token == eos_id:
                break
            if step + 1 < max_tokens:
                next_lps = feed([token])
        n = len(prompt)
        token_lps = seq.token_lps[:n] if echo else []
        prompt_top = ([None] + [dict(zip(seq.top_ids[i][:top_k], seq.top_lps[i][:top_k]))
                                for i in range(1, n)]) if echo else []
        self._put(seq)
        self.stats["requests"] += 1
        self.stats["tokens_computed"] += computed
        self.stats["tokens_reused"] += reuse
        return EngineResult(token_lps, prompt_top, generated, gen_lps, gen_top, computed, reuse)


def _top_dict(lps: torch.Tensor, k: int) -> dict[int, float]:
    if k == 0:
        return {}
    top = torch.topk(lps, k)
    return dict(zip(top.indices.tolist(), top.values.tolist()))
