"""`fedhybrid zoo build`: train the shared tokenizer and every zoo model, offline.

A build writes each model to a temporary folder and renames it into place only when it is
complete, then rewrites the manifest: an interrupted build leaves every earlier model and
the previous manifest intact. `only=` rebuilds selected models against the existing
tokenizer, so one model can be retrained without invalidating the others.
"""

from __future__ import annotations

import dataclasses
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

# The shipped zoo plus a widening stage for the cloud (`zoo build --only cloud --widen`): it
# continues on `workloads/phrasings.py` (60% of its word problems; the templates keep the
# rest). Not shipped: measured on this CPU (500 steps, 72 min), it moved held-out paraphrase
# accuracy from 0.0% to 1.5% and cost 5 points on the templates (96.5% -> 91.5%); the model
# writes a story of its own curriculum instead of restating the question (README, "The
# shipped zoo").
WIDENED = dataclasses.replace(FULL, models=tuple(
    dataclasses.replace(m, widen=TrainConfig(steps=500, lr=5e-4, warmup=50, seed=4, wide_fraction=0.6,
                                             code_fraction=0.2)) if m.name == "cloud" else m
    for m in FULL.models))

# The shipped zoo plus a stage for every model that continues it on the same 60/40 mix in the
# `equations` solution format (`zoo build --only cloud client edge --widen equations`): the
# question's numbers are the only thing a solution copies. The cloud's stage follows
# docs/experiments/equations_widening.py, whose runs (1,700 steps at 5e-4 then 2.5e-4, no pycode)
# took held-out paraphrase from 0% to 89% cloud-only and kept the templates at 100% (README,
# "Reading unfamiliar sentences"); here it is one cosine schedule, with 15% pycode steps so the
# cloud keeps its code. The device models learn the format in a few hundred steps (the
# experiment's edge: 300 at 1e-3); all three tiers must write one format, since token-level
# routing compares their next tokens (mixed formats: README, "Equations instead of restatement").
# The wide share is told with `workloads/lexicon.py`'s everyday verbs as well: continued on them,
# the experiment's cloud read the phrasings nothing was tuned on better (fresh 54% -> 63%, blind
# 55% -> 66%; README, "A verb lexicon").
def _equations_stage(steps: int, lr: float, seed: int) -> TrainConfig:
    return TrainConfig(steps=steps, lr=lr, warmup=50, seed=seed, wide_fraction=0.6, code_fraction=0.15,
                       solution_format="equations", vocabulary="wide")


_EQUATIONS_STAGES = {"cloud": _equations_stage(2000, 5e-4, 5), "client": _equations_stage(600, 1e-3, 6),
                     "edge": _equations_stage(350, 1e-3, 7)}
EQUATIONS = dataclasses.replace(FULL, models=tuple(
    dataclasses.replace(m, widen=_EQUATIONS_STAGES[m.name]) for m in FULL.models))

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
              device: torch.device | None = None, widen_only: bool = False) -> dict:
    """Build (or partly rebuild) a zoo into `out`; returns the manifest written.

    A model whose spec has a widening stage is trained in two stages: from scratch on the
    templates, then continued from the saved model on the widened curriculum. `widen_only`
    runs only the second stage of the `only` models, from the first-stage models in the zoo.

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
    if widen_only and not only:
        raise ZooError("widening runs on models already in the zoo: name them with --only")
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
    if widen_only:
        _check_widenable(manifest, todo)
    # Written before training, so a killed build can resume with `--only <unfinished>`.
    _write_manifest(out, manifest)
    probe = wordmath.generate("heldout", 64, seed="build-probe")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                  disable=quiet) as progress:
        for spec in todo:
            stages = ([None] if not widen_only else []) + (["widen"] if spec.widen is not None else [])
            for stage in stages:
                base = manifest["models"][spec.name] if stage == "widen" else None
                manifest["models"][spec.name] = _stage(
                    progress, out, spec, base, tokenizer, code_stream, heldout_code, eval_set,
                    device, probe, recipe.probe_every, quiet)
                manifest["built_with"] = {"torch": torch.__version__, "device": str(device),
                                          "machine": platform.machine()}
                _write_manifest(out, manifest)  # after every stage: nothing finished is lost
    return manifest


def mixed_formats(manifest: dict) -> dict[str, str]:
    """{model: solution format} when the zoo's models write more than one format, else {}."""
    formats = {name: ModelSpec.from_dict(entry["spec"]).solution_format
               for name, entry in manifest["models"].items()}
    return formats if len(set(formats.values())) > 1 else {}


def _check_widenable(manifest: dict, todo: list[ModelSpec]) -> None:
    """`widen_only` continues the first-stage model in the zoo: it must be there, built by
    this recipe's first stage, and not widened already (widening twice is another model)."""
    for spec in todo:
        if spec.widen is None:
            raise ZooError(f"{spec.name} has no widening stage in the recipe: rebuild it with --only {spec.name}")
        entry = manifest["models"].get(spec.name)
        if entry is None:
            raise ZooError(f"{spec.name} is not in the zoo yet: build it with --only {spec.name}")
        built = ModelSpec.from_dict(entry["spec"])
        if built.widen is not None:
            raise ZooError(f"{spec.name} is already widened; rebuild both stages with --only {spec.name}")
        if built != spec.first_stage():
            raise ZooError(f"{spec.name} in the zoo was built by another first stage ({entry['spec']}) than "
                           f"this recipe's; rebuild it with --only {spec.name}")


def _stage(progress, out: Path, spec: ModelSpec, base: dict | None, tokenizer, code_stream,
           heldout_code, eval_set, device, probe, probe_every: int, quiet: bool) -> dict:
    """Train one stage of `spec` and return its manifest entry: the first stage from scratch
    (`base` None), else the widening stage from the first-stage model `base` describes."""
    cfg = spec.train if base is None else spec.widen
    label = spec.name if base is None else f"{spec.name} (widen)"
    task = progress.add_task(f"train {label}", total=cfg.steps, status="")
    tag = spec.name if base is None else f"{spec.name}.widen"
    log_path = out / f".{tag}.train-log.jsonl"
    if not _checkpoint_path(out, tag).exists():  # resuming keeps the probe log
        log_path.unlink(missing_ok=True)
    elif not quiet:
        progress.console.print(f"{label}: resuming from {_checkpoint_path(out, tag)}")
    hook = _progress_hook(progress, task, log_path, tokenizer, probe, every=probe_every)
    if base is None:
        return _build_one(out, spec, tokenizer, code_stream, heldout_code, eval_set, device, hook)
    return _widen_one(out, spec, base, tokenizer, code_stream, heldout_code, eval_set, device, hook)


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
    key = {"model": spec.name, "shape": [spec.hidden, spec.layers, spec.heads, spec.ffn],
           "tokenizer": tokenizer_hash(tokenizer)}
    history = _train(model, tokenizer, code_stream, spec.train, device, on_step,
                     _checkpoint_path(out, spec.name), key)
    stage = spec.first_stage() if spec.widen is not None else spec
    metrics = {"train_seconds": round(history[-1]["elapsed_s"], 1)}
    return _finish(out, stage, model, tokenizer, heldout_code, eval_set, device, history, metrics,
                   _checkpoint_path(out, spec.name))


def _widen_one(out: Path, spec: ModelSpec, base: dict, tokenizer, code_stream: torch.Tensor,
               heldout_code: torch.Tensor, eval_set: list[wordmath.Problem], device: torch.device,
               on_step) -> dict:
    """Continue the saved first-stage model (as written: float16 weights) on the widened
    curriculum; the entry keeps the first stage's metrics beside the widened ones."""
    from inference.zoo import load_causal_lm

    model, _ = load_causal_lm(out / spec.name, device=str(device))
    first = {k: v for k, v in base["metrics"].items() if k != "first_stage"}
    if "paraphrase_acc" not in first:  # a zoo built before paraphrase was measured: the before
        first["paraphrase_acc"] = evaluate.paraphrase_accuracy(model, tokenizer, len(eval_set))
    key = {"model": spec.name, "stage": "widen", "tokenizer": tokenizer_hash(tokenizer),
           "base": base["files"].get("model.safetensors")}
    history = _train(model, tokenizer, code_stream, spec.widen, device, on_step,
                     _checkpoint_path(out, f"{spec.name}.widen"), key)
    widen_s = round(history[-1]["elapsed_s"], 1)
    metrics = {"train_seconds": round(first.get("train_seconds", 0.0) + widen_s, 1),
               "widen_seconds": widen_s, "first_stage": first}
    return _finish(out, spec, model, tokenizer, heldout_code, eval_set, device, history, metrics,
                   _checkpoint_path(out, f"{spec.name}.widen"))


def _train(model, tokenizer, code_stream, cfg: TrainConfig, device, on_step, ckpt: Path, key: dict
           ) -> list[dict]:
    try:
        return train(model, Batches(tokenizer, code_stream, cfg), cfg, device,
                     lambda step, row: on_step(step, row, model), checkpoint=ckpt, checkpoint_key=key)
    except ValueError as err:  # an unusable checkpoint: say which file, never train over it
        raise ZooError(str(err)) from err


def _finish(out: Path, spec: ModelSpec, model, tokenizer, heldout_code: torch.Tensor,
            eval_set: list[wordmath.Problem], device: torch.device, history: list[dict],
            metrics: dict, ckpt: Path) -> dict:
    """Save `model` as `spec.name` (atomically), evaluate what was written, drop the checkpoint."""
    from inference.zoo import load_causal_lm

    params = sum(p.numel() for p in model.parameters())
    tmp = out / f".{spec.name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    save_model(model.cpu(), tokenizer, tmp)
    # evaluate what was written (float16 round trip), not the in-memory float32 weights
    saved, _ = load_causal_lm(tmp, device=str(device))
    metrics = {
        **metrics,
        "wordmath_acc": evaluate.wordmath_accuracy(saved, tokenizer, eval_set),
        "paraphrase_acc": evaluate.paraphrase_accuracy(saved, tokenizer, len(eval_set)),
        "pycode_loss": evaluate.lm_loss(saved, heldout_code.to("cpu")),
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
