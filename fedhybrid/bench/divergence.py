"""Which tokens each routing score would send to the cloud, measured per token, without decoding.

The question behind "reward above confidence": does the reward head know anything about the
cloud's disagreement that the device's own top probability does not? A decoding sweep answers
it end to end, but through ~100 problems, where one problem is a point of accuracy. This asks
it of every token of many outputs:

1. the cloud-only outputs of held-out prompts: the states hybrid decoding visits when its
   router escalates the right tokens (the calibration labels come from device-only decoding);
2. one teacher-forced device pass over each prompt + output: at every position the device's
   proposal (its argmax), its top probability and each reward head's score;
3. one teacher-forced cloud pass: r = log p_cloud(proposal) - max_v log p_cloud(v), the head's
   target (arXiv 2409.13757);
4. per scorer, escalating its lowest-scoring share s of the tokens: the recall of the tokens
   the cloud would change with conviction (r < `bad`, default -1 nat), next to the oracle
   min(1, s / their share). Each head's gap to confidence comes with a 95% paired percentile
   bootstrap interval over prompts (both scorers on the same resampled prompts);
5. the same recall of the tokens that change the answer: where the device's proposal, continued
   by the cloud, ends in a different verdict than the cloud-only answer (one rollout per
   disagreement, training/consequence.py). Only these cost accuracy.

Shapes: per prompt, the device and cloud logits are (T, V) over the T = len(prompt + output)
positions; row p predicts token p + 1, so the output's tokens are predicted by rows
len(prompt) - 1 .. T - 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from fedhybrid.stats import Interval, resample_weights
from inference.reward_head import RewardHead
from inference.zoo import context_length

CONFIDENCE = "confidence"
SHARES = (0.05, 0.075, 0.10, 0.125, 0.15, 0.175, 0.20)


@dataclass(frozen=True)
class TokenScores:
    """One entry per scored token: the prompt it belongs to, its r, and every scorer's score
    (lower = escalate first: top probability for confidence, predicted r for a head)."""

    prompt: np.ndarray  # (N,) int, index of the prompt
    reward: np.ndarray  # (N,) float, r <= 0
    scores: dict[str, np.ndarray]  # name -> (N,) float
    marked: np.ndarray | None = None  # (N,) bool, e.g. "changes the answer"; None without marks

    def __len__(self) -> int:
        return len(self.reward)


@torch.no_grad()
def score_trajectories(device_model, cloud_model, prompt_ids: Sequence[Sequence[int]],
                       outputs: Sequence[Sequence[int]], heads: Mapping[str, RewardHead],
                       marks: Sequence[Sequence[bool]] | None = None) -> TokenScores:
    """Teacher-force the device and the cloud over each prompt + output (see the module doc).
    `marks`: one flag per output token (kept aligned with the scored tokens)."""
    limit = min(context_length(m) for m in (device_model, cloud_model))
    prompt_of, rewards, marked = [], [], []
    scores: dict[str, list[np.ndarray]] = {CONFIDENCE: [], **{name: [] for name in heads}}
    for i, (ids, out) in enumerate(zip(prompt_ids, outputs)):
        seq = (list(ids) + list(out))[:limit]
        first = len(ids) - 1  # the row that predicts the output's first token
        if not out or first < 0 or first >= len(seq) - 1:
            continue
        x = torch.tensor([seq], dtype=torch.long, device=next(device_model.parameters()).device)
        dev = device_model(x, output_hidden_states=True)
        dlp = torch.log_softmax(dev.logits[0, first:-1].float(), dim=-1).cpu()  # (n, V)
        hidden = dev.hidden_states[-1][0, first:-1].float().cpu()  # (n, d)
        clp = torch.log_softmax(cloud_model(x.to(next(cloud_model.parameters()).device)).logits[0, first:-1]
                                .float(), dim=-1).cpu()  # (n, V)
        top_lp, proposal = dlp.max(dim=-1)  # (n,)
        r = clp.gather(1, proposal.view(-1, 1)).view(-1) - clp.max(dim=-1).values
        prompt_of.append(np.full(len(r), i))
        rewards.append(r.numpy())
        if marks is not None:
            marked.append(np.asarray(marks[i][:len(r)], dtype=bool))
        scores[CONFIDENCE].append(top_lp.exp().numpy())
        for name, head in heads.items():
            scores[name].append(head(head.features(hidden, dlp)).numpy())
    if not rewards:
        raise ValueError("no output tokens to score: every output was empty or past the models' positions")
    return TokenScores(np.concatenate(prompt_of), np.concatenate(rewards).astype(np.float64),
                       {k: np.concatenate(v).astype(np.float64) for k, v in scores.items()},
                       np.concatenate(marked) if marks is not None else None)


def _recalls(order: np.ndarray, bad: np.ndarray, weights: np.ndarray, shares: Sequence[float]) -> np.ndarray:
    """(R, S) recall of `bad` tokens when each of R weightings escalates its lowest-scored share.

    `order`: token indices by ascending score; `weights`: (R, N) how often each token is drawn.
    A token is escalated while the cumulative weight before it is below share * total weight.
    """
    w = weights[:, order]  # (R, N) in escalation order
    before = np.cumsum(w, axis=1) - w
    total = w.sum(axis=1, keepdims=True)
    bad_w = w * bad[order]
    bad_total = bad_w.sum(axis=1)
    out = np.empty((len(weights), len(shares)))
    for j, share in enumerate(shares):
        caught = (bad_w * (before < share * total)).sum(axis=1)
        out[:, j] = np.divide(caught, bad_total, out=np.full(len(caught), np.nan), where=bad_total > 0)
    return out


def recall_at_shares(ts: TokenScores, shares: Sequence[float] = SHARES, bad: float = -1.0,
                     resamples: int = 1000, level: float = 0.95, seed: int = 0, marked: bool = False) -> dict:
    """Recall of the r < `bad` tokens (with `marked`: of the marked ones) per scorer at each
    escalation share, the oracle's, and each other scorer's gap to confidence with a paired
    bootstrap interval over prompts.

    Returns {"tokens", "bad_share", "recall": [{"scorer", share: value}], "gaps":
    [{"scorer", share: Interval}]}. Raises ValueError without confidence scores or bad tokens.
    """
    if CONFIDENCE not in ts.scores:
        raise ValueError("recall_at_shares needs the confidence scores to compare with")
    if marked and ts.marked is None:
        raise ValueError("recall_at_shares(marked=True) needs token scores with marks")
    is_bad = (ts.marked if marked else ts.reward < bad).astype(np.float64)
    if not is_bad.any():
        raise ValueError("no marked token to recall" if marked else
                         f"no token has r < {bad}: the cloud agrees with the device everywhere scored")
    prompts, index = np.unique(ts.prompt, return_inverse=True)
    counts = resample_weights(len(prompts), None, resamples, np.random.default_rng(seed))  # (R, prompts)
    weights = np.vstack([np.ones(len(ts)), counts[:, index]])  # (1 + R, N), row 0: the full sample
    per_scorer = {name: _recalls(np.argsort(s, kind="stable"), is_bad, weights, shares)
                  for name, s in ts.scores.items()}
    bad_share = float(is_bad.mean())
    keys = [f"{s:.1%}" for s in shares]
    recall = [{"scorer": name, **dict(zip(keys, r[0].tolist()))} for name, r in per_scorer.items()]
    recall.append({"scorer": "oracle", **{k: min(1.0, s / bad_share) for k, s in zip(keys, shares)}})
    alpha = (1 - level) / 2
    gaps = []
    for name, r in per_scorer.items():
        if name == CONFIDENCE:
            continue
        diff = r - per_scorer[CONFIDENCE]  # (1 + R, S), paired: the same weights for both
        row: dict = {"scorer": name}
        for j, key in enumerate(keys):
            samples = diff[1:, j][np.isfinite(diff[1:, j])]
            low, high = (np.quantile(samples, [alpha, 1 - alpha]) if len(samples) else (None, None))
            row[key] = Interval(float(diff[0, j]), None if low is None else float(low),
                                None if high is None else float(high))
        gaps.append(row)
    return {"tokens": len(ts), "prompts": len(prompts), "bad": bad, "bad_share": bad_share, "recall": recall,
            "gaps": gaps}


def measure(device_model, cloud, tokenizer, heads: Mapping[str, RewardHead], problems: int,
            seed: str = "bench-divergence", max_new_tokens: int = 128, progress=None) -> dict:
    """`recall_at_shares` over the cloud-only outputs of `problems` held-out word problems
    (drawn apart from the decoding sweep's, so the two measurements do not share prompts):
    of the r < -1 tokens, and (key "consequence") of the tokens that change the answer (None
    when no token does)."""
    from inference.device_model import DeviceModel
    from inference.tokenizer import encode_prompt
    from training.calibration_sets import wordmath_task
    from training.consequence import consequence_labels
    from workloads import wordmath

    tasks = [wordmath_task(p) for p in wordmath.generate("heldout", problems, seed=seed)]
    # the cloud-only answers (kept as each task's reference) and their consequence labels; with
    # weight 0 a label is nonzero exactly where the device's token changes the answer
    _, _, labels, _ = consequence_labels(DeviceModel(device_model), cloud, tokenizer, tasks, max_new_tokens, 30.0,
                                         progress=(lambda i: progress(i, len(tasks))) if progress else None,
                                         inconsequential_weight=0.0)
    outputs, marks, start = [t.reference for t in tasks], [], 0
    for out in outputs:
        marks.append((labels[start:start + len(out)] != 0).tolist())
        start += len(out)
    ts = score_trajectories(device_model, cloud.model, [encode_prompt(tokenizer, t.prompt) for t in tasks], outputs,
                            heads, marks)
    result = recall_at_shares(ts)
    # None when no token changes a verdict (e.g. a cloud that answers none of them right)
    result["consequence"] = recall_at_shares(ts, marked=True) if ts.marked.any() else None
    return result


def printable(rows: list[dict]) -> list[dict]:
    """Rows with each Interval as `+1.2% [-0.5, 3.0]` text (for print_table's "{}")."""
    return [{k: (v.fmt() if isinstance(v, Interval) else v) for k, v in row.items()} for row in rows]


def jsonable(rows: list[dict]) -> list[dict]:
    return [{k: (v.to_dict() if isinstance(v, Interval) else v) for k, v in row.items()} for row in rows]
