"""One serving version of a device: the model with the installed adapter folded in, and a
frozen snapshot of the correction cache. Immutable once built, so a request holds the one
it started on while the next is built beside it (the swap is one reference assignment).

Also here: how journal records become cache entries (`fold`), the same rows
`DeviceCache.record` would have written, with the prompt anchors and feedback counters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from transformers import PreTrainedModel

from agent.errors import AgentError
from agent.journal import Record
from cache_sync.correction_cache import CacheHeader, CountTable
from inference.decoder import HybridDecoder
from inference.device_cache import DeviceCache, feedback_table
from inference.errors import InferenceError
from inference.lora import LoraSpec, attach, b_shapes, merged
from inference.tier_profile import TierProfile


@dataclass(frozen=True)
class Deployment:
    adapter_version: int  # round of the installed global adapter (0: none, the base model)
    cache_version: int  # version of the released cache view the snapshot holds
    index_upto: int  # the last journal record folded into the snapshot's local table
    model: PreTrainedModel
    cache: DeviceCache
    decoder: HybridDecoder


def adapter_shapes(base: PreTrainedModel, rank: int, seed: int) -> dict[str, tuple[int, int]]:
    """The B tensors of `base`'s LoRA adapter at `rank`: peft state-dict name -> (d_out, rank)."""
    try:
        return {k: (int(d_out), rank) for k, (d_out, _) in b_shapes(base, rank, seed).items()}
    except InferenceError as exc:
        raise AgentError(f"no LoRA adapter fits this device's model: {exc}") from exc


def check_adapter(adapter: dict[str, np.ndarray], expected: dict[str, tuple[int, int]]) -> None:
    """Refuse an adapter that is not exactly one of this model's: the same B tensors as
    `expected` (`adapter_shapes`: none missing, none unknown), each of its shape, all finite.

    Raises:
        AgentError: "the adapter does not fit this device's model: " and what is wrong, naming
            the tensors (an empty adapter is one: it would install the base model as a new version).
    """
    why = _misfit(adapter, expected)
    if why is not None:
        raise AgentError(f"the adapter does not fit this device's model: {why}")


def _misfit(adapter: dict[str, np.ndarray], expected: dict[str, tuple[int, int]]) -> str | None:
    if not expected:
        return "the model has no LoRA tensors"
    (d_out, rank), count = next(iter(expected.values())), len(expected)
    if not adapter:
        return (f"it holds no tensors; this model's rank-{rank} adapter has {count} (e.g. {next(iter(expected))!r} "
                f"of shape {(d_out, rank)})")
    unknown = sorted(k for k in adapter if k not in expected)
    down = [k for k in unknown if "lora_A" in k]
    if down:  # a whole peft adapter, trained with its own A: its B means nothing over the fleet's A
        return (f"it carries {len(down)} LoRA A tensor(s) ({_names(down)}): the fleet's adapters are B matrices "
                "over one A drawn from the federation's lora-seed and never sent (inference/lora.py), so an "
                "adapter trained with its own A cannot be installed; send the B tensors of one trained on that A "
                "(inference.lora.attach with the fleet's lora-seed)")
    if unknown:
        return (f"it names {len(unknown)} tensor(s) this model's adapter does not have: {_names(unknown)} "
                "(an adapter of another model?)")
    missing = sorted(k for k in expected if k not in adapter)
    if missing:
        return f"it lacks {len(missing)} of the {count} tensors this model's adapter has: {_names(missing)}"
    for key, want in expected.items():
        shape = tuple(np.shape(adapter[key]))
        if shape != want:
            other_rank = len(shape) == 2 and shape[0] == want[0]
            return (f"tensor {key!r} has shape {shape}, this model's needs {want}"
                    + (f" (the adapter is of rank {shape[1]}, this device's tier has rank {rank})" if other_rank else ""))
        if not np.isfinite(adapter[key]).all():
            return f"tensor {key!r} holds NaN or Inf"
    return None


def _names(keys: list[str], shown: int = 3) -> str:
    listed = ", ".join(repr(k) for k in keys[:shown])
    return listed + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


def adapted_model(base: PreTrainedModel, adapter: dict[str, np.ndarray] | None, seed: int) -> PreTrainedModel:
    """`base` with the family's adapter folded in (the base itself when there is none); the
    adapter's rank is its matrices' (check it first with `check_adapter`)."""
    if adapter is None:
        return base
    ranks = {int(np.asarray(b).shape[1]) for b in adapter.values()}
    if len(ranks) != 1:
        raise AgentError(f"adapter matrices disagree on their rank: {sorted(ranks)}")
    rank = ranks.pop()
    try:
        return merged(attach(base, LoraSpec(rank, rank, seed), adapter))
    except InferenceError as exc:
        raise AgentError(f"the adapter does not fit this device's model: {exc}") from exc


def snapshot(header: CacheHeader, device: str, profile: TierProfile, released: CountTable, local: CountTable,
             round_: int, number_tokens: frozenset[int] = frozenset()) -> DeviceCache:
    """A frozen cache over the released and local tables, its automata built now
    (`number_tokens`: the tokenizer's digit ids, served on full contexts only)."""
    cache = DeviceCache.for_profile(header, device, profile, frozen=True, number_tokens=number_tokens)
    cache.released, cache.local, cache.round = released, local, round_
    cache.rebuild()
    return cache


def fold(header: CacheHeader, device: str, records: Iterable[Record], stamp: int,
         only_upload: bool = False) -> tuple[CountTable, int, int]:
    """The cache rows of journal records: (table, last record seq, corrections folded).

    Each record's corrections are anchored to its prompt; its feedback rows carry served and
    contradicted counts. With `only_upload`, records that must stay on the device are left out.
    """
    tables: list[np.ndarray] = []
    feedback: dict[tuple[tuple[int, ...], int], list[int]] = {}
    last, corrections = 0, 0
    for rec in records:
        last = rec.seq
        if only_upload and not rec.upload:
            continue
        pairs = [(ctx, tok) for ctx, tok in rec.corrections if len(ctx) >= header.n_min]
        if pairs:
            tables.append(CountTable.from_corrections(header, pairs, device, stamp, anchor=rec.anchor).entries)
            corrections += len(pairs)
        for ctx, tok, served, wrong in rec.feedback:
            slot = feedback.setdefault((tuple(ctx), int(tok)), [0, 0])
            slot[0] += served
            slot[1] += wrong
    table = CountTable(header, np.concatenate(tables) if tables else None)
    if feedback:
        table = table.merge_add(feedback_table(header, device, feedback, stamp))
    return table, last, corrections
