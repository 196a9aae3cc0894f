"""The device model in the decode loop: one token of work per step, rollback by cropping.

`DeviceModel.step()` feeds the tokens appended since the last step (usually one; several
after cache-served tokens or a cloud correction) and returns the next-token log-probs and
the last hidden state, the reward head's input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import DynamicCache, PreTrainedModel

from inference.errors import InferenceError
from inference.kv import crop_cache, forward_kv
from inference.zoo import context_length


@dataclass(frozen=True)
class DeviceStep:
    """The device's view of the next position."""

    position: int  # index the proposed token would take in the full token list
    logprobs: torch.Tensor  # (V,) float32 log-softmax of the next-token logits
    hidden: torch.Tensor  # (d,) last-layer hidden state at the last fed position

    @property
    def top_token(self) -> int:
        return int(self.logprobs.argmax())

    @property
    def top_prob(self) -> float:
        return float(self.logprobs.max().exp())


class DeviceModel:
    """Stateful incremental runner for one sequence of an HF causal LM."""

    def __init__(self, model: PreTrainedModel, use_kv_cache: bool = True):
        self.model = model
        self.use_kv_cache = use_kv_cache
        self.max_positions = context_length(model)
        self._device = next(model.parameters()).device
        self.reset()

    def reset(self) -> None:
        self._cache: DynamicCache | None = None
        self._fed = 0  # tokens held by the KV cache
        self.forward_calls = 0
        self.tokens_computed = 0

    def rollback(self, length: int) -> None:
        """Forget every fed token from position `length` on."""
        if length < self._fed:
            if self._cache is not None:
                crop_cache(self._cache, length)
            self._fed = length

    @torch.no_grad()
    def step(self, tokens: Sequence[int]) -> DeviceStep:
        """Feed tokens[fed:] and predict position len(tokens)."""
        if not tokens:
            raise InferenceError("the device model needs at least one context token")
        if len(tokens) > self.max_positions:
            raise InferenceError(f"context of {len(tokens)} tokens exceeds the device model's "
                             f"{self.max_positions} positions")
        if not self.use_kv_cache:
            # baseline for benchmarks: recompute the whole prefix every step
            self._cache, self._fed = None, 0
        if self._fed >= len(tokens):
            # nothing new to feed (e.g. after a rollback to the current length):
            # re-feed the last token to get its logits
            self.rollback(len(tokens) - 1)
        if self._cache is None:
            self._cache = DynamicCache()
        ids = torch.tensor([list(tokens[self._fed:])], dtype=torch.long, device=self._device)
        out = forward_kv(self.model, ids, self._cache, output_hidden_states=True)
        self.forward_calls += 1
        self.tokens_computed += ids.shape[1]
        self._fed = len(tokens)
        logprobs = torch.log_softmax(out.logits[0, -1].float(), dim=-1).cpu()  # (V,)
        hidden = out.hidden_states[-1][0, -1].float().cpu()  # (d,)
        return DeviceStep(len(tokens), logprobs, hidden)
