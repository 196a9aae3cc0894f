"""Device-side LoRA with a frozen, shared down-projection (exactly aggregatable; A frozen as
in FFA-LoRA, arXiv 2403.12313).

Every node of a model family derives the same A (r_max x d_in per module) from a public
seed (`inference.lora_basis.frozen_a`); a node of rank r uses its first r rows, keeps
them frozen, and trains only B (d_out x r). lora_alpha = r gives scaling 1, so a node's
weight update is exactly B A[:r] whatever its rank. The adapter that travels is the B
matrices alone, keyed by peft's state-dict names.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from peft import LoraConfig, PeftModel, get_peft_model, get_peft_model_state_dict
from transformers import PreTrainedModel

from inference.errors import InferenceError
from inference.lora_basis import frozen_a

# peft's PeftModel reads `model.is_gradient_checkpointing`, which transformers 5.2x deprecates
# with a FutureWarning on every attach; the call is peft's, so the one warning is filtered here.
warnings.filterwarnings("ignore", message=r"`is_gradient_checkpointing` is deprecated", category=FutureWarning)

TARGET_MODULES = ("q_proj", "v_proj")  # Llama, Qwen2, Mistral, Gemma and the zoo's models
# fused attention projections of families peft's table does not list, in the order tried
_FUSED = ("qkv_proj", "c_attn", "query_key_value", "Wqkv")


def target_modules_for(model: PreTrainedModel) -> tuple[str, ...]:
    """The modules LoRA adapts in `model`: peft's own table by `config.model_type` (GPT-2:
    c_attn, GPT-NeoX: query_key_value, Phi: q_proj, v_proj, fc1, fc2, ...), else q_proj and
    v_proj when the model has them, else a fused attention projection it has.

    Raises:
        InferenceError: none of these exists; the message lists the model's linear layers.
    """
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as PEFT_TABLE

    leaf_names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    known = PEFT_TABLE.get(getattr(model.config, "model_type", None))
    if known and set(known) <= leaf_names:
        return tuple(known)
    if set(TARGET_MODULES) <= leaf_names:
        return TARGET_MODULES
    for fused in _FUSED:
        if fused in leaf_names:
            return (fused,)
    linear = sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules()
                     if isinstance(m, torch.nn.Linear) or type(m).__name__ == "Conv1D"})
    raise InferenceError(f"no LoRA target modules known for model type {model.config.model_type!r}: its linear "
                         f"layers are {linear}; name the attention projections in LoraSpec.target_modules")


@dataclass(frozen=True)
class LoraSpec:
    rank: int
    r_max: int
    seed: int  # the family's public seed for A
    target_modules: tuple[str, ...] | None = None  # None: target_modules_for(the base model)

    def __post_init__(self) -> None:
        if not 1 <= self.rank <= self.r_max:
            raise InferenceError(f"LoRA rank {self.rank} must lie in [1, r_max={self.r_max}]")


def attach(base: PreTrainedModel, spec: LoraSpec, b: dict[str, np.ndarray] | None = None) -> PeftModel:
    """A copy of `base` with LoRA on the target modules: A frozen from the seed, B given (or 0)."""
    targets = spec.target_modules or target_modules_for(base)
    # GPT-2's Conv1D stores its weight transposed: peft must know, or it warns and guesses
    conv1d = any(type(m).__name__ == "Conv1D" for name, m in base.named_modules()
                 if name.rsplit(".", 1)[-1] in targets)
    config = LoraConfig(r=spec.rank, lora_alpha=spec.rank, target_modules=list(targets),
                        lora_dropout=0.0, bias="none", init_lora_weights=True, fan_in_fan_out=conv1d)
    model = get_peft_model(copy.deepcopy(base), config)
    state = get_peft_model_state_dict(model)
    with torch.no_grad():
        for name, module in model.named_modules():
            if not hasattr(module, "lora_A") or "default" not in module.lora_A:
                continue
            a_layer, b_layer = module.lora_A["default"], module.lora_B["default"]
            a_key = _state_key(state, name, "lora_A")
            full = frozen_a(spec.seed, a_key, spec.r_max, a_layer.in_features)
            a_layer.weight.copy_(torch.from_numpy(full[: spec.rank]))
            a_layer.weight.requires_grad_(False)
            b_key = _state_key(state, name, "lora_B")
            if b is not None:
                if b_key not in b:
                    raise InferenceError(f"adapter lacks {b_key}")
                given = np.asarray(b[b_key], dtype=np.float32)
                if given.shape != tuple(b_layer.weight.shape):
                    raise InferenceError(f"adapter {b_key} has shape {given.shape}, this node's rank-{spec.rank} "
                                         f"LoRA needs {tuple(b_layer.weight.shape)}")
                b_layer.weight.copy_(torch.from_numpy(given))
            else:
                b_layer.weight.zero_()
    return model


def _state_key(state: dict, module_name: str, part: str) -> str:
    # peft state-dict keys drop the adapter name: "<module>.lora_A.weight"
    suffix = module_name.replace(".lora_A", "").replace(".lora_B", "") + f".{part}.weight"
    matches = [k for k in state if k.endswith(suffix.split("base_model.model.", 1)[-1])]
    if len(matches) != 1:
        raise InferenceError(f"cannot map module {module_name} to a unique {part} key ({len(matches)} matches)")
    return matches[0]


def b_matrices(model: PeftModel) -> dict[str, np.ndarray]:
    """The trained B matrices, float32, keyed by peft state-dict name."""
    return {k: v.detach().float().cpu().numpy().copy()
            for k, v in get_peft_model_state_dict(model).items() if "lora_B" in k}


def b_shapes(base: PreTrainedModel, r_max: int, seed: int) -> dict[str, tuple[int, int]]:
    """Full-rank B shapes per key for a family (the server's validation reference)."""
    model = attach(base, LoraSpec(r_max, r_max, seed))
    return {k: (v.shape[0], r_max) for k, v in b_matrices(model).items()}


def train_b(model: PeftModel, sequences: list[tuple[list[int], list[int]]], steps: int, lr: float,
            seed: int, batch: int = 8, deadline_s: float | None = None) -> dict:
    """Fine-tune B on (prompt ids, target ids) pairs: loss on the target tokens only.

    Deterministic given the seed (data order and any sampling come from it). With
    `deadline_s`, training stops after the step that crosses that many seconds (a device
    agent bounds its round this way; the simulation keeps exact step counts).
    """
    if steps <= 0 or not sequences:
        return {"steps": 0, "loss": None, "examples": len(sequences)}
    params = [p for n, p in model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed)
    eos = model.config.eos_token_id
    model.train()
    losses = []
    started = time.monotonic()
    for _ in range(steps):
        if deadline_s is not None and losses and time.monotonic() - started > deadline_s:
            break
        idx = torch.randperm(len(sequences), generator=gen)[:batch].tolist()
        rows = [sequences[i] for i in idx]
        width = max(len(p) + len(t) for p, t in rows)
        ids = torch.full((len(rows), width), eos, dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        for r, (prompt, target) in enumerate(rows):
            ids[r, : len(prompt) + len(target)] = torch.tensor(prompt + target)
            labels[r, len(prompt): len(prompt) + len(target)] = torch.tensor(target)
        out = model(input_ids=ids, labels=labels)
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(out.loss.detach()))
    model.eval()
    return {"steps": len(losses), "loss": sum(losses) / len(losses), "examples": len(sequences)}


def merged(model: PeftModel) -> PreTrainedModel:
    """A plain model with the adapter folded into the weights (fast decoding)."""
    return copy.deepcopy(model).merge_and_unload()
