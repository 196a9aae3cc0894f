"""Temperature sampling shared by the device decoder and the cloud engine.

One function so the two sample alike, and so the one numerical trap is handled once: a
temperature that is valid but tiny (say 1e-305) divides log-probabilities into values past
float32's range, every entry becomes -inf and softmax returns NaN. Shifting by the maximum
before dividing keeps the best token at 0 exactly, so the limit is the greedy choice it
should be, and no temperature in (0, 2] can produce NaN.
"""

from __future__ import annotations

import torch


def sample_token(logprobs: torch.Tensor, temperature: float, generator: torch.Generator | None) -> int:
    """Index drawn from softmax(logprobs / temperature); argmax when temperature is 0.

    logprobs: (V,) log-probabilities or logits (any finite shift gives the same result).
    """
    if temperature <= 0:
        return int(logprobs.argmax())
    # float64: a tiny temperature as a float32 scalar would round to 0 and give 0/0
    shifted = (logprobs.double() - logprobs.max().double()) / temperature  # (V,), the best token exactly 0
    probs = torch.softmax(shifted, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))
