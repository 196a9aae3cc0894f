"""`fedhybrid zoo build`: train the shared tokenizer and every zoo model, offline.

A build writes each model to a temporary folder and renames it into place only when it is
complete, then rewrites the manifest: an interrupted build leaves every earlier model and
the previous manifest intact. `only=` rebuilds selected models against the existing
tokenizer, so one model can be retrained without invalidating the others.
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import torch
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from inference.errors import ZooError
from inference.tokenizer import load_tokenizer, tokenizer_hash, train_tokenizer
from inference.zoo import MANIFEST, SCHEMA_VERSION, read_manifest
from training import evaluate
from training.recipe import ModelSpec, ZooRecipe, manifest_entry, save_model
from training.train import Batches, TrainConfig, encode_corpus, train
from workloads import pycode, wordmath

TIERS = {"cloud": "cloud", "client": "client", "edge": "edge", "iot": "edge"}

# The shipped demo zoo. Sizes: edge ~1.1M params (the seeds' headline edge size), client
# ~3M, cloud ~11.4M (>= 10x edge). Learning rates follow docs/design.md ("Small models on a CPU"): small
# models take 3e-3, the larger stall above ~1.5e-3. Step budgets are what a 2-core CPU
# trains in a few hours in total; every model sees the same data mixture, the device
# models for fewer steps (as devices get smaller, cheaper models). The cloud is built
# first: it is the long pole and everything downstream needs it.
FULL = ZooRecipe(
    vocab_size=2048,
    models=(
        ModelSpec("cloud", hidden=384, layers=6, heads=6, ffn=1024,
                  train=TrainConfig(steps=2000, lr=1e-3, seed=3)),
        ModelSpec("client", hidden=192, layers=6, heads=6, ffn=512,
                  train=TrainConfig(steps=1500, lr=2e-3, seed=2)),
        ModelSpec("edge", hidden=128, layers=4, heads=4, ffn=384,
                  train=TrainConfig(steps=1000, lr=3e-3, seed=1)),
    ),
    tiers=TIERS,
)

# A micro-zoo for tests: same shapes of everything, trained for seconds (enough steps that
# the models copy the wordmath structure, so routing and calibration have a signal).
TINY = ZooRecipe(
    vocab_size=384,
    models=(
        ModelSpec("edge", hidden=32, layers=2, heads=2, ffn=64,
                  train=TrainConfig(steps=300, lr=3e-3, batch=16, code_batch=8, warmup=5, seed=1, code_window=64)),
        ModelSpec("client", hidden=48, layers=2, heads=2, ffn=96,
                  train=TrainConfig(steps=300, lr=3e-3, batch=16, code_batch=8, warmup=5, seed=2, code_window=64)),
        ModelSpec("cloud", hidden=64, layers=2, heads=4, ffn=128,
                  train=TrainConfig(steps=400, lr=3e-3, batch=16, code_batch=8, warmup=5, seed=3, code_window=64)),
    ),
    tiers=TIERS,
    tokenizer_problems=2000,
    code_bytes=300_000,
    eval_problems=16,
    probe_every=0,
)


def pick_device() -> torch.device:
    """CUDA when present (long builds), else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _write_manifest(out: Path, manifest: dict) -> None:
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    tmp.replace(out / MANIFEST)


def build_zoo(out: Path, recipe: ZooRecipe, only: tuple[str, ...] = (), quiet: bool = False,
              device: torch.device | None = None) -> dict:
    """Build (or partly rebuild) a zoo into `out`; returns the manifest written.

    Raises:
        ZooError: `only` names unknown models, or asks for a partial rebuild of a zoo
            that has no tokenizer/manifest yet.
    """
    device = device or pick_device()
    out.mkdir(parents=True, exist_ok=True)
    names = [m.name for m in recipe.models]
    unknown = set(only) - set(names)
    if unknown:
        raise ZooError(f"--only names unknown models {sorted(unknown)}: the recipe has {names}")
    tok_dir = out / "tokenizer"
    manifest_path = out / MANIFEST
    if only:
        if not manifest_path.is_file() or not (tok_dir / "tokenizer.json").is_file():
            raise ZooError(f"a partial rebuild needs an existing zoo in {out}: run `fedhybrid zoo build` first")
        manifest = read_manifest(manifest_path)
        tokenizer = load_tokenizer(tok_dir)
    else:
        manifest = {"schema": SCHEMA_VERSION, "models": {}}
        corpus = pycode.texts("train", max_bytes=recipe.code_bytes)
        extra = [p.text for p in wordmath.generate("train", recipe.tokenizer_problems, seed=10_000)]
        tokenizer = train_tokenizer(corpus + extra, recipe.vocab_size)
        shutil.rmtree(tok_dir, ignore_errors=True)
        tokenizer.save_pretrained(str(tok_dir))
        for stale in out.glob(".*.ckpt.pt"):  # a new tokenizer: old training states are void
            stale.unlink()
    manifest.update({
        "schema": SCHEMA_VERSION, "tiers": dict(recipe.tiers),
        "tokenizer_hash": tokenizer_hash(tokenizer), "vocab_size": len(tokenizer),
        "recipe": {k: v for k, v in asdict(recipe).items() if k != "models"},
    })
    code_stream = encode_corpus(tokenizer, pycode.texts("train", max_bytes=recipe.code_bytes))
    heldout_code = evaluate.pycode_heldout_stream(tokenizer, max_bytes=recipe.code_bytes or 400_000)
    eval_set = wordmath.generate("heldout", recipe.eval_problems, seed=0)
    todo = [m for m in recipe.models if not only or m.name in only]
    # Written before training, so a killed build can resume with `--only <unfinished>`.
    _write_manifest(out, manifest)
    probe = wordmath.generate("heldout", 64, seed="build-probe")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                  disable=quiet) as progress:
        for spec in todo:
            task = progress.add_task(f"train {spec.name}", total=spec.train.steps, status="")
            log_path = out / f".{spec.name}.train-log.jsonl"
            if not _checkpoint_path(out, spec.name).exists():  # resuming keeps the probe log
                log_path.unlink(missing_ok=True)
            elif not quiet:
                progress.console.print(f"{spec.name}: resuming from {_checkpoint_path(out, spec.name)}")
            entry = _build_one(out, spec, tokenizer, code_stream, heldout_code, eval_set, device,
                               _progress_hook(progress, task, log_path, tokenizer, probe,
                                              every=recipe.probe_every))
            manifest["models"][spec.name] = entry
            manifest["built_with"] = {"torch": torch.__version__, "device": str(device),
                                      "machine": platform.machine()}
            _write_manifest(out, manifest)  # after every model: nothing finished is lost
    return manifest


def _checkpoint_path(out: Path, name: str) -> Path:
    """Where a model's training state lives while it trains (removed once it is saved)."""
    return out / f".{name}.ckpt.pt"


def _progress_hook(progress, task, log_path: Path, tokenizer, probe, every: int):
    """Per step: progress bar; every `every` steps: held-out accuracy on a probe set,
    appended to `<zoo>/.<model>.train-log.jsonl` (long builds can be watched and judged early)."""
    state = {"acc": None, "t0": time.time()}
    plain = not progress.console.is_terminal  # logs to a file: print lines, not a live bar

    def hook(step: int, row: dict, model=None) -> None:
        if model is not None and every and (step + 1) % every == 0:
            model.eval()
            state["acc"] = evaluate.wordmath_accuracy(model, tokenizer, probe)
            model.train()
            with log_path.open("a") as fh:
                fh.write(json.dumps({**row, "step": step + 1, "probe_acc": state["acc"]}) + "\n")
        acc = "" if state["acc"] is None else f" probe acc {state['acc']:.2f}"
        progress.update(task, completed=step + 1, status=f"loss {row['loss']:.3f}{acc}")
        if plain and not progress.disable and ((step + 1) % 50 == 0 or (step + 1) == progress.tasks[task].total):
            print(f"{progress.tasks[task].description}: step {step + 1}/{progress.tasks[task].total} "
                  f"{row['kind']} loss {row['loss']:.3f}{acc} ({time.time() - state['t0']:.0f} s)", flush=True)

    return hook


def _build_one(out: Path, spec: ModelSpec, tokenizer, code_stream: torch.Tensor,
               heldout_code: torch.Tensor, eval_set: list[wordmath.Problem], device: torch.device,
               on_step) -> dict:
    from transformers import LlamaForCausalLM

    torch.manual_seed(spec.train.seed)
    model = LlamaForCausalLM(spec.config(len(tokenizer), tokenizer.eos_token_id))
    params = sum(p.numel() for p in model.parameters())
    ckpt = _checkpoint_path(out, spec.name)
    key = {"model": spec.name, "shape": [spec.hidden, spec.layers, spec.heads, spec.ffn],
           "tokenizer": tokenizer_hash(tokenizer)}
    try:
        history = train(model, Batches(tokenizer, code_stream, spec.train), spec.train, device,
                        lambda step, row: on_step(step, row, model), checkpoint=ckpt, checkpoint_key=key)
    except ValueError as err:  # an unusable checkpoint: say which file, never train over it
        raise ZooError(str(err)) from err
    seconds = history[-1]["elapsed_s"]
    tmp = out / f".{spec.name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    save_model(model.cpu(), tokenizer, tmp)
    # evaluate what was written (float16 round trip), not the in-memory float32 weights
    from inference.zoo import load_causal_lm

    saved, _ = load_causal_lm(tmp, device=str(device))
    metrics = {
        "wordmath_acc": evaluate.wordmath_accuracy(saved, tokenizer, eval_set),
        "pycode_loss": evaluate.lm_loss(saved, heldout_code.to("cpu")),
        "train_seconds": round(seconds, 1),
        "final_loss": {kind: sum(r["loss"] for r in history[-200:] if r["kind"] == kind)
                       / max(1, sum(1 for r in history[-200:] if r["kind"] == kind))
                       for kind in ("wordmath", "pycode")},
        "eval_problems": len(eval_set),
    }
    final = out / spec.name
    shutil.rmtree(final, ignore_errors=True)
    tmp.replace(final)
    ckpt.unlink(missing_ok=True)  # the model is saved; the training state is no longer needed
    return manifest_entry(spec, final, params, metrics)
