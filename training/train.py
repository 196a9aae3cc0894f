"""Causal-LM training on the offline corpus: wordmath solutions plus pycode windows.

Used by the zoo build (full training from scratch). Budgets are in optimizer steps, so a
build is deterministic given its seed on one machine type, and the schedule (warm-up,
cosine decay) is fixed before the first step.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers import PreTrainedTokenizerFast

from training import buckets
from training.buckets import IGNORE  # label value that cross-entropy skips
from training.errors import TrainingError
from workloads import phrasings, vocabularies, wordmath

_POOL = 4096  # word problems generated at a time (a pool is regenerated from its seed on resume)


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Every field is part of the zoo manifest."""

    steps: int
    lr: float
    batch: int = 32  # wordmath problems per step
    code_batch: int = 16  # pycode windows per step
    warmup: int = 100
    min_lr_ratio: float = 0.1  # cosine decays to lr * this
    weight_decay: float = 0.1
    code_fraction: float = 0.25  # share of steps that train on pycode windows
    code_window: int = 256  # tokens per pycode row
    seed: int = 0
    max_steps_per_problem: int = 4
    # share of word problems drawn from `phrasings` (many phrasings, distractors, 1-5 steps)
    # instead of wordmath's templates: the widened curriculum (0: templates only)
    wide_fraction: float = 0.0
    # how solutions are written (`wordmath.SOLUTION_FORMATS`): "worked" restates each sentence
    # before its step, "equations" writes only the computation; the tiers of a fleet should share
    # one, since token-level routing compares their next tokens
    solution_format: str = "worked"
    # which `phrasings` vocabulary the wide share is told with: "core" its own frames, "wide" with
    # `workloads/lexicon.py`'s everyday-English verbs as well, "wider" with `lexicon2`'s too,
    # "paired" with `lexicon3`'s pairs too, "tensed" with all those in the past tense as well,
    # "balanced" with `lexicon4`'s counterweights too, "wide-cues" "wide" with `lexicon5`'s cue
    # counterweights, "tensed-leads" "tensed" with `leads`'s sentence openers, "tensed-leads-cues" that with
    # `lexicon5`'s too ("held-out" is for measuring only)
    vocabulary: str = "core"

    def __post_init__(self) -> None:
        if self.steps <= 0 or self.batch <= 0 or self.code_batch <= 0:
            raise TrainingError(f"steps={self.steps}, batch={self.batch} and code_batch={self.code_batch} "
                             "must be positive")
        if not 0 < self.lr < 1:
            raise TrainingError(f"lr={self.lr} is outside (0, 1)")
        if not 0 <= self.code_fraction <= 1:
            raise TrainingError(f"code_fraction={self.code_fraction} must lie in [0, 1]")
        if not 0 <= self.wide_fraction <= 1:
            raise TrainingError(f"wide_fraction={self.wide_fraction} must lie in [0, 1]")
        if self.solution_format not in wordmath.SOLUTION_FORMATS:
            raise TrainingError(f"solution_format={self.solution_format!r} is not one of {wordmath.SOLUTION_FORMATS}")
        if self.vocabulary not in vocabularies.TRAINABLE:
            raise TrainingError(f"vocabulary={self.vocabulary!r} is not one of {vocabularies.TRAINABLE}: the held-out "
                                "vocabulary measures transfer to verbs no model trains on")
        if self.warmup < 0 or self.warmup >= self.steps:
            raise TrainingError(f"warmup={self.warmup} must lie in [0, steps={self.steps})")


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up then cosine decay to `lr * min_lr_ratio`."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + (cfg.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def encode_problems(tokenizer: PreTrainedTokenizerFast, problems: list[wordmath.Problem]
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded (input_ids, labels), both (B, T); loss only on solution + EOS."""
    eos = tokenizer.eos_token_id
    prompts = tokenizer([p.prompt for p in problems])["input_ids"]
    solutions = tokenizer([" " + p.solution for p in problems])["input_ids"]
    rows = [(a, b + [eos]) for a, b in zip(prompts, solutions)]
    width = max(len(a) + len(b) for a, b in rows)
    ids = torch.full((len(rows), width), eos, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    for i, (prompt, target) in enumerate(rows):
        ids[i, : len(prompt) + len(target)] = torch.tensor(prompt + target)
        labels[i, len(prompt): len(prompt) + len(target)] = torch.tensor(target)
    return ids, labels


def encode_corpus(tokenizer: PreTrainedTokenizerFast, texts: list[str]) -> torch.Tensor:
    """All texts as one 1-D token stream, files separated by EOS."""
    eos = tokenizer.eos_token_id
    stream: list[int] = []
    for ids in tokenizer(texts)["input_ids"]:
        stream.extend(ids)
        stream.append(eos)
    return torch.tensor(stream, dtype=torch.long)


class Batches:
    """Deterministic stream of training batches mixing wordmath and pycode."""

    def __init__(self, tokenizer: PreTrainedTokenizerFast, code_stream: torch.Tensor | None,
                 cfg: TrainConfig):
        if cfg.code_fraction > 0 and (code_stream is None or len(code_stream) <= cfg.code_window):
            raise TrainingError("code_fraction > 0 needs a pycode token stream longer than one window")
        self.tokenizer, self.code, self.cfg = tokenizer, code_stream, cfg
        self.rng = random.Random(f"batches/{cfg.seed}")
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self._problems: list[wordmath.Problem] = []
        self._pool_seed = 0

    def _take_problems(self, n: int) -> list[wordmath.Problem]:
        while len(self._problems) < n:
            self._problems.extend(self._pool(self._pool_seed))
            self._pool_seed += 1
        taken, self._problems = self._problems[:n], self._problems[n:]
        return taken

    def _pool(self, index: int) -> list[wordmath.Problem]:
        seed = self.cfg.seed * 1000 + index
        wide = round(_POOL * self.cfg.wide_fraction)
        pool = wordmath.generate("train", _POOL - wide, seed=seed, max_steps=self.cfg.max_steps_per_problem) \
            if wide < _POOL else []
        if wide:
            pool += phrasings.generate(wide, seed=seed, vocabulary=self.cfg.vocabulary)
            random.Random(f"pool/{seed}").shuffle(pool)
        return wordmath.in_format(pool, self.cfg.solution_format)

    def state_dict(self) -> dict:
        """Where the stream stands: enough to continue it exactly after a restart."""
        return {"rng": self.rng.getstate(), "gen": self.gen.get_state(),
                "pool_seed": self._pool_seed, "left": len(self._problems)}

    def load_state_dict(self, state: dict) -> None:
        self.rng.setstate(_as_tuples(state["rng"]))
        self.gen.set_state(state["gen"])
        self._pool_seed = int(state["pool_seed"])
        left = int(state["left"])
        # Whatever is left always comes from the newest pool (a batch is smaller than a
        # pool), so the pool is regenerated from its seed instead of being stored.
        self._problems = self._pool(self._pool_seed - 1)[_POOL - left:] if left else []

    def next(self) -> tuple[str, torch.Tensor, torch.Tensor]:
        """(kind, input_ids (B, T), labels (B, T))."""
        if self.rng.random() < self.cfg.code_fraction:
            starts = torch.randint(0, len(self.code) - self.cfg.code_window - 1,
                                   (self.cfg.code_batch,), generator=self.gen)
            rows = torch.stack([self.code[s: s + self.cfg.code_window] for s in starts.tolist()])
            return "pycode", rows, rows.clone()
        ids, labels = encode_problems(self.tokenizer, self._take_problems(self.cfg.batch))
        return "wordmath", ids, labels


def _as_tuples(value):
    """random.setstate wants nested tuples; a checkpoint round trip may hand back lists."""
    return tuple(_as_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def _save_checkpoint(path: Path, step: int, model, opt, batches: Batches, key: dict,
                     history: list[dict], seconds: float) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"step": step, "key": key, "model": model.state_dict(),
                "opt": opt.state_dict(), "batches": batches.state_dict(),
                "history": history, "seconds": seconds}, tmp)
    tmp.replace(path)  # atomic: a kill mid-write leaves the previous checkpoint intact


def train(model: torch.nn.Module, batches: Batches, cfg: TrainConfig, device: torch.device,
          on_step: Callable[[int, dict], None] | None = None, checkpoint: Path | None = None,
          checkpoint_every: int = 250, checkpoint_key: dict | None = None) -> list[dict]:
    """Train `model` in place for `cfg.steps` steps; returns one log row per step.

    `on_step(step, row)` is called after each step (progress bars, periodic evaluation).
    With `checkpoint`, the full training state (weights, optimizer, data stream position)
    is written there every `checkpoint_every` steps, and a run that finds a checkpoint of
    the same config continues from it: a killed multi-hour build loses minutes, not hours.
    `checkpoint_key` (JSON-like: model shape, tokenizer hash) joins the training config in
    the identity a checkpoint must match; another run's checkpoint is refused, never mixed in. Each row's
    `elapsed_s` counts training seconds across restarts.
    """
    model.to(device).train()
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and p.requires_grad]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 and p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=(0.9, 0.95))
    history: list[dict] = []
    start, before = 0, 0.0
    key = {"train": asdict(cfg), **(checkpoint_key or {})}
    if checkpoint is not None and checkpoint.exists():
        try:
            state = torch.load(checkpoint, map_location=device, weights_only=True)
        except (RuntimeError, OSError, EOFError) as err:  # truncated / not a torch file
            raise TrainingError(f"checkpoint {checkpoint} cannot be read ({err}); delete it to start over") from err
        if state.get("key") != key:
            raise TrainingError(f"checkpoint {checkpoint} was written by another run "
                             f"({state.get('key')}, this run is {key}); delete it to start over")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        batches.load_state_dict(state["batches"])
        history, start, before = list(state["history"]), int(state["step"]), float(state["seconds"])
    t0 = time.time()
    for step in range(start, cfg.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        kind, ids, labels = batches.next()
        # in length buckets: the same gradient as one padded batch, without computing the padding
        loss = buckets.backward(model, ids.to(device), labels.to(device))
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        row = {"step": step, "kind": kind, "loss": loss, "lr": lr_at(step, cfg),
               "tokens": int(ids.numel()), "elapsed_s": round(before + time.time() - t0, 2)}
        history.append(row)
        if on_step is not None:
            on_step(step, row)
        if checkpoint is not None and (step + 1) % checkpoint_every == 0 and step + 1 < cfg.steps:
            _save_checkpoint(checkpoint, step + 1, model, opt, batches, key, history,
                             before + time.time() - t0)
    model.eval()
    return history
