"""`fedhybrid eval`: a user's workload through every routing policy, graded, priced.

The question a platform engineer brings: "with my prompts and my models, what cloud share
and what quality does each policy give, and what does it save?". One run answers it:
1. cloud-only decodes every request first: the quality ceiling, the cost baseline, and the
   reference the `agreement-with-cloud` grader compares against;
2. slm-only, then each policy at each threshold, decode the same requests (greedy, no
   correction cache: the routing alone is measured, as `bench routing` does);
3. every output is graded (workloads.graders), and the cloud cost is counted as DESIGN.md
   defines it: cloud tokens processed (prefill + generated + verification), priced per 1k,
   against cloud-only on the same requests.
A request marked `sensitive` is decoded with privacy local-only in every configuration
(cloud-only too): its text never reaches the cloud, and its row says what that costs. So it has
no cloud output: it is left out of every row's agreement, and out of quality too where it would
be graded against the cloud (no answer or reference of its own; workloads.graders
`not_graded_against_cloud`). Cloud share, tokens and cost still count every request: they
measure the routing, not the grading.
Every output can go to a durable log as it is decoded (fedhybrid.eval_log), so an
interrupted run resumes where it stopped instead of decoding everything again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from fedhybrid.eval_log import EvalLog, Output, digest, request_key, weights_identity
from fedhybrid.workload_check import prompt_ids  # one tokenization for eval and workload check
from inference.decoder import HybridDecoder
from inference.errors import InferenceError
from inference.generation import DecodeConfig, Provenance
from inference.privacy import PrivacyPolicy
from inference.router import make_policy
from inference.tokenizer import stop_token_ids
from inference.zoo import context_length
from serving.text_output import TextStream
from workloads.graders import Grader, not_graded_against_cloud, not_graded_warning, token_agreement
from workloads.requests import Request

POLICIES = ("reward", "confidence", "fusion")
DEFAULT_THRESHOLDS = {"confidence": (0.5, 0.7, 0.9), "fusion": (0.8,)}
DEFAULT_TARGET_SHARES = (0.05, 0.10, 0.20)  # reward: taus read off the head's calibration table
# why a request is left out of a figure ("left_out"), said of each request left out
NOT_GRADED = ("sensitive and graded agreement-with-cloud (no answer or reference of its own), but decoded local-only "
              "in every row, cloud-only too: there is no cloud output to grade it against")
NOT_COMPARED = "sensitive, so decoded local-only in every row, cloud-only too: there is no cloud output to compare it with"


@dataclass(frozen=True)
class EvalConfig:
    """What to sweep and how to price it; validated once at the CLI boundary."""

    policies: tuple[str, ...] = ("reward", "confidence")
    thresholds: tuple[float, ...] = ()  # () : the defaults per policy
    target_shares: tuple[float, ...] = DEFAULT_TARGET_SHARES
    max_new_tokens: int = 128
    stop: tuple[str, ...] = ()
    price_per_1k: float = 1.0  # per 1k cloud tokens processed
    deadline_s: float = 30.0
    fusion_weight: float = 0.7
    limit: int | None = None  # evaluate only the first N requests

    def __post_init__(self) -> None:
        unknown = [p for p in self.policies if p not in POLICIES]
        if unknown:
            raise InferenceError(f"unknown policy {unknown[0]!r}: choose from {', '.join(POLICIES)} "
                                 "(cloud-only and slm-only always run)")
        if self.max_new_tokens <= 0:
            raise InferenceError(f"--max-new-tokens={self.max_new_tokens} must be positive")
        if not (math.isfinite(self.price_per_1k) and self.price_per_1k >= 0):
            raise InferenceError(f"--price-per-1k={self.price_per_1k} must be a finite number >= 0")
        if any(not math.isfinite(t) for t in self.thresholds):
            raise InferenceError("--thresholds must be finite numbers")
        # confidence and fusion compare a device probability with the threshold, so one outside
        # [0, 1] sends every token or none to the cloud; refused here, before any decoding, not
        # after cloud-only has run (reward thresholds are head scores: any finite number)
        bounded = [p for p in self.policies if p in ("confidence", "fusion")]
        outside = [t for t in self.thresholds if not 0 <= t <= 1]
        if bounded and outside:
            raise InferenceError(f"--thresholds {outside[0]:g} is outside [0, 1], where {bounded[0]} thresholds "
                                 "(a device probability) lie; sweep reward's head scores in a run of its own "
                                 "(--policies reward)")
        if any(not 0 < s < 1 for s in self.target_shares):
            raise InferenceError("--target-shares must lie strictly between 0 and 1")
        if self.limit is not None and self.limit <= 0:
            raise InferenceError(f"--limit={self.limit} must be positive")


@dataclass
class Run:
    """One configuration's outputs over the workload."""

    ids: list[list[int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    tokens: int = 0
    cloud_tokens: int = 0
    computed: int = 0  # cloud tokens processed
    seconds: float = 0.0
    missed: int = 0  # escalations the cloud did not answer (the device's token kept)
    missed_outputs: int = 0  # outputs with at least one: not the configuration's output, decoded again on --resume

    def add(self, out: Output) -> None:
        self.ids.append(list(out.ids))
        self.texts.append(out.text)
        self.tokens += len(out.ids)
        self.cloud_tokens += out.cloud_tokens
        self.computed += out.computed
        self.seconds += out.seconds
        self.missed += out.missed
        self.missed_outputs += out.missed > 0


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """`text` up to the first occurrence of any stop string, which is left out (as the OpenAI API
    returns it)."""
    cuts = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return text[: min(cuts)] if cuts else text


def stop_watch(tokenizer, stops: Sequence[str]) -> Callable[[int, Provenance], bool] | None:
    """`on_token` for one decode that ends it at the token completing a stop string, one spread
    over several tokens included (`DecodeConfig.stop_ids` catch only a stop inside one token)."""
    if not stops:
        return None
    stream = TextStream(tokenizer, stops)
    return lambda token, _provenance: stream.push(token)[1]


def configurations(cfg: EvalConfig, head_meta: dict | None,
                   calibrate: str = "fedhybrid calibrate") -> list[tuple[str, float | None]]:
    """(policy, threshold) in run order: cloud-only first (the reference), slm-only, the sweep.
    `calibrate`: the calibrate command for the user's device and cloud, named when the reward
    policy has no calibration table to read its thresholds off."""
    from inference.runtime import tau_for_share

    out: list[tuple[str, float | None]] = [("cloud-only", None), ("slm-only", None)]
    for policy in cfg.policies:
        if cfg.thresholds:
            out += [(policy, t) for t in cfg.thresholds]
        elif policy == "reward":
            if not head_meta or not head_meta.get("table"):
                raise InferenceError("the reward policy needs a calibrated head for this device/cloud pair: run "
                                     f"`{calibrate}`, pass --thresholds, or leave reward out of --policies")
            out += [("reward", round(tau_for_share(head_meta, s), 4)) for s in cfg.target_shares]
        else:
            out += [(policy, t) for t in DEFAULT_THRESHOLDS[policy]]
    return out


def evaluate(decoder: HybridDecoder, tokenizer, requests: Sequence[Request], grader: Grader, cfg: EvalConfig,
             head=None, head_meta: dict | None = None,
             progress: Callable[[str, int, int], None] | None = None,
             configs: list[tuple[str, float | None]] | None = None,
             open_log: Callable[[dict], EvalLog] | None = None, calibrate: str = "fedhybrid calibrate",
             warn: Callable[[str], None] | None = None) -> dict:
    """Every configuration over `requests`; returns {"rows": [...], "requests": [...], "left_out": {...}}.

    `configs`: (policy, threshold) pairs to run, cloud-only first (default: from `cfg`).
    `open_log`: called once everything is checked, before the first decode, with this run's
    fingerprint (the decode settings; the caller adds the models'); outputs the log already
    holds for the same configuration and request are reused, every new one is appended to it
    as it is decoded.
    `calibrate`: the calibrate command for the caller's device and cloud (see `configurations`).
    `warn`: called once, after every check and before the first decode (a user can still stop),
    when some requests cannot be graded (sensitive ones judged against the cloud): why, and the fix.
    `left_out` counts, per figure, the requests a row's "quality" and "agreement"/"identical"
    leave out and why; a figure that leaves out every request is None (not measurable).

    Raises:
        InferenceError: a prompt too long for the device's context, or a policy without what
            it needs; WorkloadError: a request the grader cannot judge (before any decoding).
    """
    requests = list(requests)[: cfg.limit] if cfg.limit else list(requests)
    grader.check(requests)
    prompts = [prompt_ids(tokenizer, r) for r in requests]
    limit = context_length(decoder.device.model)
    for req, ids in zip(requests, prompts):
        if not ids:
            raise InferenceError(f"request {req.id!r} has an empty prompt")
        if len(ids) + cfg.max_new_tokens > limit:
            raise InferenceError(f"request {req.id!r}: {len(ids)} prompt tokens + --max-new-tokens "
                                 f"{cfg.max_new_tokens} exceed the device model's context of {limit}")
    dcfg = DecodeConfig(max_new_tokens=cfg.max_new_tokens, deadline_s=cfg.deadline_s,
                        stop_ids=stop_token_ids(tokenizer, cfg.stop))
    privacy = [PrivacyPolicy("local-only" if r.sensitive else "allow") for r in requests]
    rows, reference = [], None
    configs = configs or configurations(cfg, head_meta, calibrate)
    if configs[0] != ("cloud-only", None):
        raise InferenceError("the first configuration must be cloud-only: it is every other row's reference")
    # every policy built (and so checked) before any decoding: a bad one fails in seconds, not
    # after the rows before it have run
    policies = [make_policy(name, threshold, head=head, weight=cfg.fusion_weight) for name, threshold in configs]
    # a sensitive request has no cloud output (local-only under cloud-only too): never compared with
    # it, and not graded where the grader's reference would be that output (the device against itself)
    ungraded = not_graded_against_cloud(grader, requests)
    skipped = {id(r) for r in ungraded}  # by object: a caller's requests may share an id
    graded = [id(r) not in skipped for r in requests]
    compared = [not r.sensitive for r in requests]
    if ungraded and warn is not None:
        warn(not_graded_warning(grader.kind, [r.id for r in ungraded], len(requests)))
    log = open_log(fingerprint(cfg, dcfg)) if open_log else None
    head_id = weights_identity(head) if head is not None else ""
    keys = [request_key(ids, r.sensitive) for r, ids in zip(requests, prompts, strict=True)]
    try:
        for (name, threshold), policy in zip(configs, policies, strict=True):
            label = name if threshold is None else f"{name} @ {threshold:g}"
            # a reward row's outputs depend on the head too (its tau is read off the head's table)
            key = f"{label} head {head_id}" if name == "reward" else label
            run = Run()
            for i, (req, ids, private) in enumerate(zip(requests, prompts, privacy)):
                out = log.get(key, keys[i]) if log is not None else None
                if out is None:
                    gen = decoder.generate(ids, policy, dcfg, on_token=stop_watch(tokenizer, cfg.stop),
                                           use_cache=False, record=False, privacy=private)
                    out = Output(tuple(gen.token_ids), gen.text, gen.count(Provenance.CLOUD),
                                 gen.cloud_tokens_computed, gen.elapsed_s, gen.missed_escalations)
                    if log is not None:
                        log.put(key, keys[i], req.id, out)
                run.add(replace(out, text=cut_at_stop(out.text, cfg.stop)))  # logged whole, graded cut
                if progress:
                    progress(label, i + 1, len(prompts))
            if reference is None:
                reference = run
            rows.append(_row(name, threshold, run, reference, requests, grader, cfg, graded, compared))
    finally:
        if log is not None:
            log.close()
    per_request = [{"id": r.id, "sensitive": r.sensitive, "grader": grader.resolve(r), "graded": graded[i],
                    "cloud_only": reference.texts[i]} for i, r in enumerate(requests)]
    return {"rows": rows, "requests": per_request, "left_out": left_out(requests, graded, compared)}


def left_out(requests: Sequence[Request], graded: Sequence[bool], compared: Sequence[bool]) -> dict:
    """For "quality" and "agreement" (with "identical"): how many requests, which, and why each
    figure leaves out (why is None where none is left out)."""
    out = {}
    for figure, kept, why in (("quality", graded, NOT_GRADED), ("agreement", compared, NOT_COMPARED)):
        ids = [r.id for r, k in zip(requests, kept, strict=True) if not k]
        out[figure] = {"count": len(ids), "of": len(requests), "ids": ids, "why": why if ids else None}
    return out


def fingerprint(cfg: EvalConfig, dcfg: DecodeConfig) -> dict:
    """What decides every output besides the models and the request itself: the decode
    settings. The grader and the price are not in it: they apply after decoding."""
    out = {"max_new_tokens": dcfg.max_new_tokens, "stop_ids": digest([sorted(dcfg.stop_ids)]),
           "deadline_s": dcfg.deadline_s, "fusion_weight": cfg.fusion_weight}
    # a stop string of more than one byte may span tokens, where `stop_ids` miss it: named apart
    # (a log written before such stops were caught ran past them, and has no such field: refused)
    spanning = sorted(s for s in cfg.stop if len(s.encode()) > 1)
    if spanning:
        out["stop_text"] = digest([spanning])
    return out


def _row(name: str, threshold: float | None, run: Run, reference: Run, requests: Sequence[Request],
         grader: Grader, cfg: EvalConfig, graded: Sequence[bool], compared: Sequence[bool]) -> dict:
    judged = [i for i, keep in enumerate(graded) if keep]
    correct = [grader.correct(requests[i], run.texts[i], run.ids[i], reference.ids[i]) for i in judged]
    quality = sum(correct) / len(correct) if correct else None  # None: no request can be graded
    # the ceiling over the same requests, so quality_vs_cloud compares like with like
    base_quality = sum(grader.correct(requests[i], reference.texts[i], reference.ids[i], reference.ids[i])
                       for i in judged)
    pairs = [(a, b) for a, b, keep in zip(run.ids, reference.ids, compared) if keep]
    # the cost and cloud share count every request, left out of the grading or not: the routing decided them
    cost = run.computed / 1000 * cfg.price_per_1k
    base_cost = reference.computed / 1000 * cfg.price_per_1k
    return {
        "policy": name, "threshold": threshold,
        "cloud_share": run.cloud_tokens / max(1, run.tokens),
        "quality": quality,
        "quality_vs_cloud": quality / (base_quality / len(judged)) if base_quality else None,
        "agreement": sum(token_agreement(a, b) for a, b in pairs) / len(pairs) if pairs else None,
        "identical": sum(a == b for a, b in pairs) / len(pairs) if pairs else None,
        "tok_s": run.tokens / run.seconds if run.seconds else 0.0,
        "tokens": run.tokens, "cloud_tokens": run.cloud_tokens, "cloud_tokens_processed": run.computed,
        "cost": cost, "cost_cut": 1.0 - cost / base_cost if base_cost else None,
        "missed_escalations": run.missed, "missed_outputs": run.missed_outputs, "requests": len(requests),
        "graded": len(judged), "compared": len(pairs),
    }


def plot(rows: list[dict], path: Path, title: str) -> Path:
    """Quality against cloud share, one line per policy; cloud-only and slm-only as points. A row
    without a quality (no request could be graded) has no point: the plot says so instead."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    measured = [r for r in rows if r["quality"] is not None]
    if not measured:
        ax.text(0.5, 0.5, "quality cannot be measured:\nno request could be graded", ha="center", va="center",
                transform=ax.transAxes)
    for policy in dict.fromkeys(r["policy"] for r in measured):
        pts = sorted((r["cloud_share"] * 100, r["quality"] * 100) for r in measured if r["policy"] == policy)
        style = "o-" if len(pts) > 1 else "s"
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=policy)
    ax.set_xlabel("cloud share (% of tokens)")
    ax.set_ylabel("quality (% correct)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if measured:
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
