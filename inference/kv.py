"""KV-cache helpers shared by every incremental runner (device model, local cloud, cloud engine).

transformers 5.x renamed the forward argument that carries the KV cache from
`past_key_values` to `cache` (the old name warns until its removal in 5.40). `forward_kv`
passes the cache under whichever name the model's forward takes, so no deprecation warning
reaches users and earlier 5.x releases keep working. A `DynamicCache` is updated in place
by the forward pass, so callers keep their own reference instead of reading it back.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence

import torch
from transformers import DynamicCache, PreTrainedModel


def _named_cache_kwarg(forward_owner: type) -> str | None:
    try:
        params = inspect.signature(forward_owner.forward).parameters
    except (TypeError, ValueError):  # a forward without an introspectable signature
        return None
    for name in ("cache", "past_key_values"):
        if name in params:
            return name
    return None


@functools.lru_cache(maxsize=64)
def _cache_kwarg(forward_owner: type) -> str:
    # a wrapper module forwarding **kwargs names neither: use what this transformers'
    # Llama takes (every causal LM of one release follows the same convention)
    from transformers import LlamaForCausalLM

    return _named_cache_kwarg(forward_owner) or _named_cache_kwarg(LlamaForCausalLM) or "past_key_values"


def forward_kv(model: PreTrainedModel, input_ids: torch.Tensor, cache: DynamicCache, **kwargs):
    """`model(input_ids, <cache>=cache, use_cache=True, **kwargs)`; `cache` grows in place."""
    return model(input_ids=input_ids, use_cache=True, **{_cache_kwarg(type(model)): cache}, **kwargs)


def crop_cache(cache: DynamicCache, length: int) -> None:
    """Keep the first `length` positions of a KV cache.

    (transformers 5 `crop` takes the negative number of positions to drop.)
    """
    held = cache.get_seq_length()
    if length < held:
        cache.crop(length - held)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
