"""A zoo build's recipe: each model's architecture and training settings, and how a
trained model is written into a zoo folder with its manifest entry.

Loading and verifying a zoo (what runs at inference time) is `inference.zoo`; this module
is only needed to build one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from transformers import LlamaConfig, PreTrainedModel, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

from inference.zoo import hash_folder
from training.errors import TrainingError
from training.train import TrainConfig


@dataclass(frozen=True)
class ModelSpec:
    """Architecture and training recipe of one zoo model."""

    name: str
    hidden: int
    layers: int
    heads: int
    ffn: int
    train: TrainConfig
    max_positions: int = 512
    # a second stage continued from the saved first-stage model: the widened curriculum
    # (`TrainConfig.wide_fraction`), kept apart so it can be rerun without the first stage
    widen: TrainConfig | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise TrainingError(f"model name {self.name!r} must be a plain identifier (e.g. 'edge')")
        if self.hidden % self.heads:
            raise TrainingError(f"{self.name}: hidden={self.hidden} is not divisible by heads={self.heads}")
        if min(self.hidden, self.layers, self.heads, self.ffn) <= 0:
            raise TrainingError(f"{self.name}: all sizes must be positive")
        if self.widen is not None and self.widen.wide_fraction == 0:
            raise TrainingError(f"{self.name}: a widening stage with wide_fraction=0 trains on the "
                                "templates again; give it a wide_fraction in (0, 1]")

    def config(self, vocab_size: int, eos_id: int) -> LlamaConfig:
        return LlamaConfig(
            vocab_size=vocab_size, hidden_size=self.hidden, intermediate_size=self.ffn,
            num_hidden_layers=self.layers, num_attention_heads=self.heads,
            num_key_value_heads=self.heads, max_position_embeddings=self.max_positions,
            tie_word_embeddings=True, bos_token_id=eos_id, eos_token_id=eos_id,
            pad_token_id=eos_id)

    @staticmethod
    def from_dict(raw: dict) -> ModelSpec:
        widen = raw.get("widen")
        return ModelSpec(**{**raw, "train": TrainConfig(**raw["train"]),
                            "widen": TrainConfig(**widen) if widen else None})

    @property
    def solution_format(self) -> str:
        """The solution format the finished model writes: its last stage's."""
        return (self.widen or self.train).solution_format

    def first_stage(self) -> ModelSpec:
        """This spec without its widening stage (what a first-stage model was built from)."""
        return replace(self, widen=None)


@dataclass(frozen=True)
class ZooRecipe:
    """Everything a zoo build needs: tokenizer size, models, and which tier uses which."""

    vocab_size: int
    models: tuple[ModelSpec, ...]
    tiers: dict[str, str] = field(default_factory=dict)  # tier -> model name
    tokenizer_problems: int = 20000  # wordmath problems added to the tokenizer corpus
    code_bytes: int | None = None  # cap on pycode training bytes (None: all)
    eval_problems: int = 200
    probe_every: int = 250  # steps between held-out probes during a build (0: none)

    def __post_init__(self) -> None:
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise TrainingError(f"duplicate model names in recipe: {names}")
        unknown = set(self.tiers.values()) - set(names)
        if unknown:
            raise TrainingError(f"tiers refer to unknown models {sorted(unknown)}; models are {names}")


def save_model(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, folder: Path) -> None:
    """Write a standard HF folder: float16 weights, a config that loads as float32."""
    folder.mkdir(parents=True, exist_ok=True)
    hf_logging.disable_progress_bar()  # one bar per small model write is noise, not progress
    model.to(torch.float16).save_pretrained(str(folder), safe_serialization=True)
    model.to(torch.float32)
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    # "auto" dtype loading reads this: plain from_pretrained() then gives float32
    config["dtype"] = "float32"
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    tokenizer.save_pretrained(str(folder))


def manifest_entry(spec: ModelSpec, folder: Path, params: int, metrics: dict) -> dict:
    return {"spec": asdict(spec), "params": params, "metrics": metrics, "files": hash_folder(folder)}
