"""Issue 14 experiment (not part of the shipped build): average the weights of checkpoints taken
along one training path, a uniform "model soup" (Wortsman et al., arXiv:2203.05482; along one
run it is what stochastic weight averaging does, Izmailov et al., arXiv:1803.05407).

Every input must have the same architecture and tokenizer (checked: the config's shape fields,
each tensor's name and shape, and the tokenizer file's bytes); the output is a Hugging Face
folder beside them that `fedhybrid eval --cloud OUT` loads like any other.

    .venv/bin/python docs/experiments/weight_average.py OUT MODEL MODEL [MODEL ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

_SHAPE_KEYS = ("model_type", "hidden_size", "intermediate_size", "num_hidden_layers",
               "num_attention_heads", "num_key_value_heads", "vocab_size", "tie_word_embeddings")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def average(out: Path, models: list[Path]) -> None:
    if len(models) < 2:
        raise SystemExit("give at least two model folders to average")
    configs = [json.loads((m / "config.json").read_text()) for m in models]
    for model, config in zip(models[1:], configs[1:], strict=True):
        differs = [k for k in _SHAPE_KEYS if config.get(k) != configs[0].get(k)]
        if differs:
            raise SystemExit(f"{model} differs from {models[0]} in {differs}; only one architecture averages")
        if _digest(model / "tokenizer.json") != _digest(models[0] / "tokenizer.json"):
            raise SystemExit(f"{model}'s tokenizer.json differs from {models[0]}'s")
    total: dict[str, torch.Tensor] = {}
    dtypes: dict[str, torch.dtype] = {}  # the first model's, which the average is stored in
    for model in models:
        tensors = load_file(str(model / "model.safetensors"))
        dtypes = dtypes or {name: t.dtype for name, t in tensors.items()}
        if total and tensors.keys() != total.keys():
            raise SystemExit(f"{model} holds other tensors than {models[0]}")
        for name, tensor in tensors.items():
            if name in total and total[name].shape != tensor.shape:
                raise SystemExit(f"{model}: {name} is {tuple(tensor.shape)}, {models[0]} has {tuple(total[name].shape)}")
            # sum in float32 whatever the stored dtype, so that a bf16 soup does not lose bits per add
            total[name] = total.get(name, 0) + tensor.to(torch.float32)
    out.mkdir(parents=True, exist_ok=False)
    save_file({name: (t / len(models)).to(dtypes[name]).contiguous() for name, t in total.items()},
              str(out / "model.safetensors"), metadata={"format": "pt"})
    for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        if (models[0] / name).exists():
            shutil.copy(models[0] / name, out / name)
    (out / "averaged_from.json").write_text(json.dumps([str(m) for m in models], indent=1) + "\n")
    print(f"averaged {len(models)} models -> {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("models", type=Path, nargs="+")
    args = parser.parse_args()
    average(args.out, args.models)
