"""Consequence labels for the reward head: a token counts as wrong only if it changes the verdict.

The head's original target (arXiv 2409.13757, token level) is r_t = log p_cloud(y_t) - max_v
log p_cloud(v): how strongly the cloud disagrees with the device's token. Measured on the zoo,
a third of the tokens the cloud rejects with conviction (r < -1) leave the final answer as it
was ("She" where the cloud writes "The"), and a router that spends its cloud budget on them
catches no more of the answer-changing ones than the device's own top probability does. So
each disagreement is labelled by its consequence:

1. the cloud decodes the prompt greedily (the cloud-only answer, and the trajectory a router
   that escalates the right tokens follows);
2. the device is teacher-forced along it: at each position its proposal (argmax), hidden state
   and log-probabilities, the head's inputs;
3. where the proposal differs from the cloud's token, the cloud continues greedily from the
   prompt + answer so far + the proposal (a rollout), and the task's judge grades that answer;
4. the label is the proposal's r (scored by the rollout's first call) when the verdict differs
   from the cloud-only answer's, else `inconsequential_weight` * r: such a disagreement did
   not change the answer when the cloud went on writing, but a hybrid decode goes on with the
   device, which may still stumble after it. Weight 0 ranks these with the tokens the cloud
   agrees with; measured on the zoo (100 held-out problems, edge + cloud), weight 0 and 0.2 keep
   the same accuracy at 5-10% cloud share (73 / 71%, 81 / 80%, 82 / 84% at 5 / 7.5 / 10%) and
   0.2 gains at 15% (86% against 84%; confidence: about 86%).

With a judge of exact agreement with the cloud-only output (workloads without a reference)
every disagreement changes the verdict and the labels are plain r on the cloud's trajectory.
Cost: one cloud-only decode per prompt and one rollout per disagreement (about 4 per wordmath
answer with the shipped edge model), all through the `Cloud` protocol, so a remote cloud works.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from inference.cloud import Cloud
from inference.device_model import DeviceModel
from inference.tokenizer import encode_prompt
from training.calibration_sets import Task
from training.errors import TrainingError


@dataclass(frozen=True)
class RolloutLimits:
    deadline_s: float
    eos_id: int | None
    stop_ids: frozenset[int] = frozenset()

    def ends(self, token: int) -> bool:
        return token == self.eos_id or token in self.stop_ids


def _greedy(cloud: Cloud, session: str, context: list[int], budget: int, limits: RolloutLimits,
            score_last: bool) -> tuple[list[int], float]:
    """The cloud's greedy continuation of `context` (at most `budget` tokens, ending at EOS or a
    stop id, which is kept) and, with `score_last`, the r of the context's last token."""
    tokens = list(context)
    out: list[int] = []
    reward = 0.0
    while len(out) < budget:
        # the first call may also score the context's last token; later ones only predict
        scoring = score_last and not out
        pred = cloud.predict(session, tokens, len(tokens) - 1 if scoring else len(tokens), 1, limits.deadline_s)
        if scoring:
            reward = pred.positions[0].reward
        out.append(pred.greedy)
        tokens.append(pred.greedy)
        if limits.ends(pred.greedy):
            break
    return out, reward


def _proposal_reward(cloud: Cloud, session: str, context: list[int], limits: RolloutLimits) -> float:
    """r of the context's last token, with no continuation (the proposal ended the answer)."""
    return cloud.predict(session, context, len(context) - 1, 1, limits.deadline_s).positions[0].reward


@torch.no_grad()
def consequence_labels(device: DeviceModel, cloud: Cloud, tokenizer, tasks: Sequence[Task],
                       max_new_tokens: int, deadline_s: float, stop_ids: frozenset[int] = frozenset(),
                       progress: Callable[[int], None] | None = None, inconsequential_weight: float = 0.0
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict]:
    """Label every position of each task's cloud-only answer (see the module docstring).

    Returns (hidden (N, d), device log-probs (N, V), labels (N,), stats): one row per token
    of the cloud-only answers. Raises CloudUnavailable when the cloud fails (labels are all
    or nothing: a partial set would bias the head toward the prompts that came first).
    """
    limits = RolloutLimits(deadline_s, tokenizer.eos_token_id, frozenset(stop_ids))
    hiddens, logprobs, labels = [], [], []
    disagreements = consequential = 0
    for i, task in enumerate(tasks):
        prompt = encode_prompt(tokenizer, task.prompt) if isinstance(task.prompt, str) else list(task.prompt)
        session = f"consequence-{i}"
        try:
            answer, _ = _greedy(cloud, session, prompt, max_new_tokens, limits, score_last=False)
            task.reference = list(answer)
            verdict = task.is_correct(tokenizer.decode(answer, skip_special_tokens=True), answer)
            device.reset()
            for t, token in enumerate(answer):
                step = device.step(prompt + answer[:t])
                hiddens.append(step.hidden)
                logprobs.append(step.logprobs)
                proposal = step.top_token
                if proposal == token:
                    labels.append(0.0)
                    continue
                disagreements += 1
                context = prompt + answer[:t] + [proposal]
                if limits.ends(proposal) or t + 1 >= max_new_tokens:
                    rest, reward = [], _proposal_reward(cloud, session, context, limits)
                else:
                    rest, reward = _greedy(cloud, session, context, max_new_tokens - t - 1, limits,
                                           score_last=True)
                ids = answer[:t] + [proposal] + rest
                changed = task.is_correct(tokenizer.decode(ids, skip_special_tokens=True), ids) != verdict
                consequential += changed
                labels.append(reward if changed else inconsequential_weight * reward)
        finally:
            cloud.end_session(session)
        if progress is not None:
            progress(i + 1)
    if not labels:
        raise TrainingError("no tokens to label: every cloud-only answer was empty (give prompts the cloud answers, "
                            "or a larger max_new_tokens)")
    stats = {"labels": "consequence", "label_tokens": len(labels), "disagreements": disagreements,
             "consequential": consequential, "inconsequential_weight": inconsequential_weight}
    return torch.stack(hiddens), torch.stack(logprobs), torch.tensor(labels), stats
