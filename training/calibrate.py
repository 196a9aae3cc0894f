"""Reward-head training and threshold calibration for one (device, cloud) pair.

1. Labels, `disagreement` (the default): the device decodes training prompts on its own and
   one teacher-forced cloud pass over each output gives r_t for every device token (arXiv
   2409.13757); `consequence` (training/consequence.py): along each training prompt's
   cloud-only answer, the r of every device proposal that changes the task's verdict (0 where
   it does not). Consequence heads escalate the answer-changing tokens first (better at a 5%
   cloud share on the zoo) but lost more answers in the fleet demo at the calibrated share
   (README, "Routing"), so they are opt-in.
2. The head is fitted on (hidden state, top-k log-probs) -> label.
3. Calibration decodes held-out prompts with the real hybrid decoder (reward policy) over
   a grid of tau, giving tau -> (cloud share, accuracy). A target cloud share is then
   met by bisection on tau, decoding for real at each probe, so the realised share on
   held-out data is what the table promises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from inference.cloud import Cloud
from inference.decoder import HybridDecoder
from inference.device_model import DeviceModel
from inference.errors import InferenceError
from inference.generation import DecodeConfig
from inference.reward_head import RewardHead, RewardHeadConfig, fit
from inference.router import RewardPolicy, make_policy
from inference.tokenizer import encode_prompt
from training.calibration_sets import MIN_REQUESTS, CalibrationSets, Task, wordmath_sets
from training.consequence import consequence_labels
from training.errors import TrainingError
from workloads.requests import Request

LABELS = ("consequence", "disagreement")


@dataclass(frozen=True)
class CalibrationConfig:
    train_problems: int = 400
    calib_problems: int = 64
    max_new_tokens: int = 128
    top_k: int = 8
    width: int = 64
    epochs: int = 30
    grid: int = 10  # tau values in the table
    bisect_steps: int = 8
    tolerance: float = 0.01  # acceptable |share - target| on the calibration set
    deadline_s: float = 10.0  # calibration runs offline: be generous with the cloud
    seed: int = 0
    labels: str = "disagreement"  # or "consequence" (see the module docstring)
    inconsequential_weight: float = 0.2  # consequence labels: r's weight where the answer stays

    def __post_init__(self) -> None:
        if self.labels not in LABELS:
            raise TrainingError(f"labels={self.labels!r}: choose one of {', '.join(LABELS)}")
        if not 0 <= self.inconsequential_weight <= 1:
            raise TrainingError(f"inconsequential_weight={self.inconsequential_weight} must lie in [0, 1] "
                                "(0: only answer-changing tokens count; 1: every disagreement counts in full)")
        if self.train_problems < 4 or self.calib_problems < 2:
            raise TrainingError("need >= 4 training and >= 2 calibration problems")
        if self.grid < 2 or self.bisect_steps < 0 or not 0 < self.tolerance < 1:
            raise TrainingError("grid >= 2, bisect_steps >= 0 and tolerance in (0, 1) are required")


@torch.no_grad()
def collect_labels(device: DeviceModel, cloud: Cloud, tokenizer, prompts: list[str | list[int]],
                   max_new_tokens: int, deadline_s: float,
                   progress: Callable[[int], None] | None = None,
                   stop_ids: frozenset[int] = frozenset()) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Device-only greedy decoding, then cloud teacher-forced labels.

    Returns (hidden (N, d), logprobs (N, V) of the device's next-token distribution, labels (N,)).
    """
    hiddens, logprobs, labels = [], [], []
    eos = tokenizer.eos_token_id
    for i, prompt in enumerate(prompts):
        ids = encode_prompt(tokenizer, prompt) if isinstance(prompt, str) else list(prompt)
        tokens = list(ids)
        device.reset()
        steps = []
        for _ in range(max_new_tokens):
            step = device.step(tokens)
            steps.append(step)
            tokens.append(step.top_token)
            if tokens[-1] == eos or tokens[-1] in stop_ids:
                break
        prediction = cloud.predict(f"calibrate-{i}", tokens, len(ids), 1, deadline_s)
        cloud.end_session(f"calibrate-{i}")
        for step, score in zip(steps, prediction.positions):
            hiddens.append(step.hidden)
            logprobs.append(step.logprobs)
            labels.append(score.reward)
        if progress is not None:
            progress(i + 1)
    return torch.stack(hiddens), torch.stack(logprobs), torch.tensor(labels)


def train_head(hidden: torch.Tensor, logprobs: torch.Tensor, labels: torch.Tensor,
               cfg: CalibrationConfig) -> tuple[RewardHead, dict]:
    head_cfg = RewardHeadConfig(hidden_size=hidden.shape[1], top_k=cfg.top_k, width=cfg.width)
    top = torch.topk(logprobs, cfg.top_k, dim=-1).values
    head, stats = fit(torch.cat([hidden, top], dim=-1), labels, head_cfg, epochs=cfg.epochs, seed=cfg.seed)
    stats["label_share_divergent"] = float((labels < -1e-6).float().mean())
    return head, stats


def measure(decoder: HybridDecoder, policy, problems: list[Task], cfg: DecodeConfig
            ) -> dict:
    """Decode `problems` with `policy`: cloud share (token-weighted), accuracy, outputs."""
    tokens = cloud = 0
    correct = 0
    outputs = []
    for p in problems:
        gen = decoder.generate(p.prompt, policy, cfg, use_cache=False)
        tokens += len(gen.token_ids)
        cloud += round(gen.cloud_share * len(gen.token_ids))
        correct += p.is_correct(gen.text, gen.token_ids)
        outputs.append(gen.token_ids)
    return {"cloud_share": cloud / max(1, tokens), "accuracy": correct / len(problems),
            "tokens": tokens, "outputs": outputs}


def calibration_table(decoder: HybridDecoder, head: RewardHead, problems: list[Task],
                      taus: list[float], cfg: DecodeConfig) -> list[dict]:
    rows = []
    for tau in taus:
        m = measure(decoder, RewardPolicy(head, tau), problems, cfg)
        rows.append({"tau": tau, "cloud_share": m["cloud_share"], "accuracy": m["accuracy"]})
    return rows


def tau_grid(head: RewardHead, hidden: torch.Tensor, logprobs: torch.Tensor, n: int) -> list[float]:
    """Taus at quantiles of the head's predictions (so the grid spans 0..100% escalation)."""
    with torch.no_grad():
        preds = head(head.features(hidden, logprobs))
    qs = torch.linspace(0.0, 1.0, n)
    taus = sorted({round(max(0.0, -float(torch.quantile(preds, q))), 4) for q in qs})
    return taus


def pick_tau(decoder: HybridDecoder, head: RewardHead, problems: list[Task],
             table: list[dict], target: float, cfg: CalibrationConfig, dcfg: DecodeConfig) -> dict:
    """Bisection on tau (share falls as tau grows) until |share - target| <= tolerance."""
    below = [r for r in table if r["cloud_share"] <= target]
    above = [r for r in table if r["cloud_share"] > target]
    if not below:
        return min(table, key=lambda r: r["cloud_share"]) | {"note": "target below the reachable minimum"}
    if not above:
        return max(table, key=lambda r: r["cloud_share"]) | {"note": "target above the reachable maximum"}
    lo = max(above, key=lambda r: r["tau"])  # smallest tau side: share > target
    hi = min(below, key=lambda r: r["tau"])
    best = min([lo, hi], key=lambda r: abs(r["cloud_share"] - target))
    for _ in range(cfg.bisect_steps):
        if abs(best["cloud_share"] - target) <= cfg.tolerance:
            break
        tau = (lo["tau"] + hi["tau"]) / 2
        m = measure(decoder, RewardPolicy(head, tau), problems, dcfg)
        row = {"tau": tau, "cloud_share": m["cloud_share"], "accuracy": m["accuracy"]}
        if row["cloud_share"] > target:
            lo = row
        else:
            hi = row
        if abs(row["cloud_share"] - target) < abs(best["cloud_share"] - target):
            best = row
    return best


def calibrate(device_model, cloud: Cloud, tokenizer, out_dir: Path, cfg: CalibrationConfig,
              target_cloud_share: float | None = None, meta: dict | None = None,
              progress: Callable[[str, int, int], None] | None = None,
              sets: CalibrationSets | None = None) -> dict:
    """Run the whole pipeline; writes head + calibration into `out_dir`; returns the metadata.

    `sets`: what to label and calibrate on (default: the zoo's word problems, sized by `cfg`).
    """
    if target_cloud_share is not None:
        _check_share(target_cloud_share)
    report = (lambda stage, i, n: progress(stage, i, n)) if progress else (lambda *a: None)
    sets = sets or wordmath_sets(cfg.train_problems, cfg.calib_problems, cfg.seed)
    device = DeviceModel(device_model)
    def label_progress(i: int) -> None:
        report("label", i, len(sets.train))

    if cfg.labels == "consequence":
        hidden, logprobs, labels, label_stats = consequence_labels(
            device, cloud, tokenizer, sets.train, cfg.max_new_tokens, cfg.deadline_s, sets.stop_ids, label_progress,
            cfg.inconsequential_weight)
    else:
        hidden, logprobs, labels = collect_labels(
            device, cloud, tokenizer, [t.prompt for t in sets.train], cfg.max_new_tokens, cfg.deadline_s,
            label_progress, stop_ids=sets.stop_ids)
        label_stats = {"labels": "disagreement"}
    head, stats = train_head(hidden, logprobs, labels, cfg)
    stats.update(label_stats)
    decoder = HybridDecoder(device_model, tokenizer, cloud)
    dcfg = DecodeConfig(max_new_tokens=cfg.max_new_tokens, deadline_s=cfg.deadline_s, stop_ids=sets.stop_ids)
    _fill_references(decoder, sets.calib + sets.check, dcfg)
    taus = tau_grid(head, hidden, logprobs, cfg.grid)
    table = []
    for i, tau in enumerate(taus):
        table.extend(calibration_table(decoder, head, sets.calib, [tau], dcfg))
        report("calibrate", i + 1, len(taus))
    baseline = {name: {k: v for k, v in measure(decoder, make_policy(name), sets.calib, dcfg).items()
                       if k != "outputs"} for name in ("slm-only", "cloud-only")}
    result = {"head": stats, "table": table, "baseline": baseline, "calibration_problems": len(sets.calib),
              "train_problems": len(sets.train), "seed": cfg.seed, "sets": sets.source, **(meta or {})}
    if target_cloud_share is not None:
        result["target"] = _pick_target(decoder, head, sets.calib, sets.check, table, target_cloud_share, cfg, dcfg)
    head.save(out_dir, extra=result)
    return result


def cloud_requests(requests: Sequence[Request]) -> tuple[list[Request], int]:
    """The workload requests calibration may show the cloud: every one not marked `sensitive`.

    Labelling sends each training prompt and the device's output to the cloud, and the table
    and its check decode with the cloud; a sensitive request is never sent to the cloud
    (README: "Evaluate on your workload"), so it takes no part in calibration.
    Returns (the requests kept, in order; how many sensitive ones were left out).

    Raises:
        TrainingError: fewer than MIN_REQUESTS requests remain once the sensitive ones are left out.
    """
    kept = [r for r in requests if not r.sensitive]
    left_out = len(requests) - len(kept)
    if left_out and len(kept) < MIN_REQUESTS:
        raise TrainingError(f"{len(kept)} of the workload's {len(requests)} requests can calibrate: {left_out} are "
                            "marked sensitive and are left out (a sensitive request is never sent to the cloud, "
                            f"which labels and measures the head); give at least {MIN_REQUESTS} requests not "
                            "marked sensitive")
    return kept, left_out


def _fill_references(decoder: HybridDecoder, tasks: list[Task], dcfg: DecodeConfig) -> None:
    """The cloud-only output of every task judged by agreement with it (once, before the table)."""
    for task in tasks:
        if task.needs_reference and task.reference is None:
            task.reference = list(decoder.generate(task.prompt, make_policy("cloud-only"), dcfg, use_cache=False,
                                                   record=False).token_ids)


def _check_share(share: float) -> None:
    if not 0 < share < 1:
        raise InferenceError(f"--target-cloud-share {share} must lie in (0, 1)")


def _pick_target(decoder, head, calib, check, table, share: float, cfg, dcfg) -> dict:
    """tau for `share` by bisection on the calibration set, then the share it gives on `check`."""
    chosen = pick_tau(decoder, head, calib, table, share, cfg, dcfg)
    check_m = measure(decoder, RewardPolicy(head, chosen["tau"]), check, dcfg)
    return {"cloud_share": share, "tau": chosen["tau"], "calibration_share": chosen["cloud_share"],
            "heldout_share": check_m["cloud_share"], "heldout_accuracy": check_m["accuracy"],
            **({"note": chosen["note"]} if "note" in chosen else {})}


def retarget(device_model, cloud: Cloud, tokenizer, out_dir: Path, cfg: CalibrationConfig,
             target_cloud_share: float, sets: CalibrationSets | None = None) -> dict:
    """Pick a new tau for an already trained head: bisection on its calibration set,
    then the held-out check. Reuses the head and its table (minutes instead of ten).
    A head calibrated on a workload file needs the same file's `sets` again."""
    _check_share(target_cloud_share)
    head, meta = RewardHead.load(out_dir)
    kind = meta.get("sets", {}).get("kind", "wordmath")
    if sets is None:
        if kind != "wordmath":
            raise TrainingError(f"the head in {out_dir} was calibrated on the workload {meta['sets'].get('path')}: "
                                "retarget with the same --workload")
        sets = wordmath_sets(4, meta["calibration_problems"], meta.get("seed", cfg.seed))
    decoder = HybridDecoder(device_model, tokenizer, cloud)
    dcfg = DecodeConfig(max_new_tokens=cfg.max_new_tokens, deadline_s=cfg.deadline_s, stop_ids=sets.stop_ids)
    _fill_references(decoder, sets.calib + sets.check, dcfg)
    meta["target"] = _pick_target(decoder, head, sets.calib, sets.check, meta["table"], target_cloud_share, cfg,
                                  dcfg)
    head.save(out_dir, extra={k: v for k, v in meta.items() if k != "config"})
    return meta
