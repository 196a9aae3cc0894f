"""The exploration spot check of the fleet's reward head, at the end of a request.

Accepted tokens after a request's last cloud call are never scored for free; at the label
collector's exploration rate the request's tail is scored by one call to the top of the
escalation chain, each label weighted 1 / rate (why: inference/reward_labels.py). The answer is
unchanged. The decoder calls it after its loop, as it calls inference/settle.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inference.cloud import CloudUnavailable

if TYPE_CHECKING:
    from inference.decode_run import DecodeRun


def explore_tail(run: DecodeRun) -> None:
    """Score `run`'s unscored tail at the top of the chain and label it (a failed call adds nothing)."""
    labels = run.labels
    start = labels.tail_start()
    authority = getattr(run.d.cloud, "authority", run.d.cloud)
    context = run.cloud_prompt + run.tokens[run.prompt_len:]
    try:
        prediction = authority.predict(run.session, context, max(1, start + run.offset), run.cfg.cloud_top_k,
                                       run.cfg.deadline_s)
    except CloudUnavailable as exc:  # counted as the decoder counts its own (skipped, or made and failed)
        run.count_call(exc)
        return
    run.count_call()
    run.gen.cloud_tokens_computed += prediction.tokens_computed
    labels.out.explore_calls += 1
    labels.out.explore_tokens_computed += prediction.tokens_computed
    weight = labels.tail_weight
    for k, score in enumerate(prediction.positions):
        labels.observed(prediction.verified_from + k - run.offset, score.reward, weight, "explored")
