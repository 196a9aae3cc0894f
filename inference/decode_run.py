"""One request's decode loop and its state: the steps the module docstring of
inference/decoder.py lists, token by token (cache serve, device proposal, policy, escalation,
verification and rollback, observations for the cache).

`HybridDecoder.generate` builds one `DecodeRun` per request, runs `loop()`, then hands the run to
the end-of-request steps (inference/explore.py, inference/settle.py), which read and extend its
state. The run owns nothing across requests: the decoder's device model (its KV state) is reset
when a run begins.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from inference.cloud import CloudPrediction, CloudSkipped, CloudUnavailable
from inference.device_model import DeviceStep
from inference.escalation import EscalationChain
from inference.generation import Correction, DecodeConfig, Generation, Provenance
from inference.loop_guard import cache_would_loop, output_loops
from inference.reward_labels import LabelCollector
from inference.router import Policy
from inference.sampling import sample_token

if TYPE_CHECKING:
    from inference.decoder import HybridDecoder


class DecodeRun:
    """The state of one request's decode loop (one per `HybridDecoder.generate` call)."""

    def __init__(self, decoder: HybridDecoder, policy: Policy, cfg: DecodeConfig,
                 prompt_ids: list[int], use_cache: bool,
                 on_token: Callable[[int, Provenance], None] | None = None,
                 cloud_prompt: list[int] | None = None, track: bool = True,
                 labels: LabelCollector | None = None):
        self.d, self.policy, self.cfg = decoder, policy, cfg
        # the cloud's view of the prompt (None: the cloud may see nothing of this request);
        # generated tokens follow it, so positions shift by `offset`
        self.cloud_enabled = cloud_prompt is not None and decoder.cloud is not None
        self.cloud_prompt = list(cloud_prompt) if cloud_prompt is not None else []
        self.offset = len(self.cloud_prompt) - len(prompt_ids)
        self.on_token = on_token
        self.emitted = 0  # generated tokens already streamed
        self.stopped_at: int | None = None  # set when on_token asked to stop (tokens kept)
        self.tokens = list(prompt_ids)
        self.prompt_len = len(prompt_ids)
        self.gen = Generation(prompt_ids=list(prompt_ids))
        self.session = uuid.uuid4().hex
        self.verified_upto = self.prompt_len  # positions < this are prompt or verified
        self.rng = torch.Generator().manual_seed(cfg.seed)
        self.cache = decoder.cache if use_cache else None
        self.observe = cfg.observe and self.cache is not None
        self.scored_upto = self.prompt_len  # positions < this are prompt or scored by the cloud
        # the first output position whose kept token differs from the cloud's greedy choice (no
        # verification keeps it): what the cloud says after it continues a text the cloud would
        # not have written, so it is not learnt; a prompt's entries would replay it against the
        # cloud's own answer (make demo: "5 + 4 = 1" kept, then "... = 20 and" -> " 1" learnt
        # from "19 + 20", served where the cloud's answer has "9 + 20": 15 of 32 queries lost)
        self.diverged: int | None = None
        self.unchecked = False  # a token no cloud call has scored since the last one (`settle`)
        self.cache_looped = False
        # the tier that answered the last escalation (an escalation chain's hub, or None: the
        # cloud) and whether it is the source of truth: a hub's answer is used, never learnt
        self.answer_tier: str | None = None
        self.authoritative = True
        self.labels = labels if self.cloud_enabled else None
        if self.labels is not None:
            self.labels.begin()
        decoder.device.reset()
        # the prompt's anchor keys what the cache learns from this request to its prompt
        self.anchor = self.cache.anchor_of(prompt_ids) if self.cache is not None else None
        if self.cache is not None:
            self.cache.begin(self.tokens, track=track, anchor=self.anchor)
        self.track = track
        begin = getattr(decoder.cloud, "begin", None)  # hubs that serve a prompt's own entries
        if self.cloud_enabled and begin is not None:
            begin(self.session, self.cloud_prompt)

    # -- helpers ----------------------------------------------------------------------
    def emit(self, final: bool = False) -> None:
        """Stream every generated token that can no longer be rolled back."""
        if self.on_token is None or self.stopped_at is not None:
            return
        settled = len(self.tokens) if final or not self.cfg.verify else self.verified_upto
        while self.emitted < settled - self.prompt_len:
            i = self.emitted
            stop = self.on_token(self.tokens[self.prompt_len + i], self.gen.provenance[i])
            self.emitted += 1
            if stop:
                self.stopped_at = self.emitted
                return

    @property
    def new_count(self) -> int:
        return len(self.tokens) - self.prompt_len

    def count_call(self, failed: CloudUnavailable | None = None) -> None:
        """One call to the tier above in the request's counts (the decoder's and the spot checks'):
        one its client refused without contacting the cloud (`CloudSkipped`, a breaker open) is
        skipped, not made; any other was made, and failed when `failed` is given (failed or late
        calls are the cloud's cost all the same)."""
        if isinstance(failed, CloudSkipped):
            self.gen.cloud_skipped += 1
            return
        self.gen.cloud_calls += 1
        if failed is not None:
            self.gen.cloud_failures += 1

    def _prov(self, position: int) -> Provenance:
        return self.gen.provenance[position - self.prompt_len]

    def _append(self, token: int, prov: Provenance) -> None:
        if prov is Provenance.CLOUD and self.authoritative and self.scored_upto == len(self.tokens):
            # the cloud's own token needs no score: the next call then starts at the tokens
            # the cloud has not run yet (no position is fed twice)
            self.scored_upto += 1
        if prov is Provenance.DEVICE or (prov is Provenance.CACHE and self.cfg.settle
                                          and not self.cache.prompt_decides(token)):
            self.unchecked = True
        self.tokens.append(token)
        self.gen.provenance.append(prov)
        # which tier produced the token: with an escalation chain (inference/escalation.py) a
        # "cloud" token may be the answer of a hub in between
        self.gen.answered_by.append(self.answer_tier or prov.value if prov is Provenance.CLOUD else prov.value)
        if self.cache is not None:
            self.cache.advance(token)

    def _truncate(self, length: int) -> None:
        del self.tokens[length:]
        if self.diverged is not None and self.diverged >= length:
            self.diverged = None
        del self.gen.provenance[length - self.prompt_len:]
        del self.gen.answered_by[length - self.prompt_len:]
        self.d.device.rollback(length)
        if self.labels is not None:
            self.labels.truncate(length)
        if self.cache is not None:
            self.cache.begin(self.tokens, track=self.track, anchor=self.anchor)  # re-synchronise
        self.verified_upto = min(self.verified_upto, length)
        self.scored_upto = min(self.scored_upto, length)

    def _record(self, position: int, token: int, device_token: int | None) -> None:
        lo = max(0, position - self.cfg.correction_context)
        self.gen.corrections.append(Correction(tuple(self.tokens[lo:position]), token, device_token))

    def _sample(self, logprobs: torch.Tensor) -> int:
        return sample_token(logprobs, self.cfg.temperature, self.rng)

    def _cloud_choice(self, step: DeviceStep, prediction: CloudPrediction, proposal: int) -> int:
        if self.cfg.temperature == 0:
            return self.policy.choose(step, prediction, proposal)
        pick = sample_token(torch.tensor(prediction.top_logprobs), self.cfg.temperature, self.rng)
        return prediction.top_ids[pick]

    def _ask_cloud(self, verify_from: int, top: bool = False) -> CloudPrediction | None:
        cloud = self.d.cloud
        if not self.cloud_enabled:
            return None
        context = self.cloud_prompt + self.tokens[self.prompt_len:]
        predict = cloud.predict_authority if (top or self.cfg.skip_hubs) and isinstance(cloud, EscalationChain) \
            else cloud.predict
        try:
            prediction = predict(self.session, context, verify_from + self.offset, self.cfg.cloud_top_k,
                                 self.cfg.deadline_s)
        except CloudUnavailable as exc:
            self.count_call(exc)
            return None
        self.count_call()
        self.gen.cloud_tokens_computed += prediction.tokens_computed
        for tier, computed in prediction.hub_computed:
            self.gen.hub_tokens_computed[tier] = self.gen.hub_tokens_computed.get(tier, 0) + computed
        self.answer_tier, self.authoritative = prediction.tier, prediction.authoritative
        return prediction

    def _verify_from(self) -> int:
        if not self.cfg.verify:
            return max(1, self.scored_upto) if self.observe else len(self.tokens)
        lo = self.verified_upto
        if self.cfg.verify_window is not None:
            lo = max(lo, len(self.tokens) - self.cfg.verify_window)
        return max(1, min(lo, len(self.tokens)))

    def _observe(self, prediction: CloudPrediction) -> None:
        """Record the cloud's greedy choice at each output token it scored for the first time.

        With verification on, a disagreement is left to `_apply_verification` (which rolls
        back there and records the correction); without it, the output keeps its token and
        the cloud's choice is recorded as a correction, a cache-served token as contradicted.
        """
        if not self.observe or not prediction.authoritative:
            return
        for k, score in enumerate(prediction.positions):
            position = prediction.verified_from + k - self.offset  # back to device positions
            if position < max(self.prompt_len, self.scored_upto) or self._prov(position) is Provenance.CLOUD:
                continue
            token = self.tokens[position]
            if self.labels is not None and self._prov(position) is Provenance.DEVICE:
                self.labels.observed(position, score.reward)
            learn = self.diverged is None
            if score.greedy == token:
                if learn:
                    self._record(position, token, token)
                continue
            if self.cfg.verify:
                break  # the rollback happens here; what follows is discarded
            if learn:
                self._record(position, score.greedy, token)
                self.diverged = position
            if self._prov(position) is Provenance.CACHE:
                self.cache.contradicted(tuple(self.tokens[:position]), token)
                self.gen.cache_contradictions += 1
        self.scored_upto = len(self.tokens)
        self.unchecked = False

    def _apply_verification(self, prediction: CloudPrediction) -> bool:
        """Roll back at the first scored local token the cloud disagrees with.

        Returns True when a rollback happened (the caller restarts the step).
        """
        for k, score in enumerate(prediction.positions):
            position = prediction.verified_from + k - self.offset  # back to device positions
            if position < self.prompt_len or self._prov(position) is Provenance.CLOUD:
                continue
            if score.greedy != self.tokens[position]:
                bad, bad_prov = self.tokens[position], self._prov(position)
                self._truncate(position)
                if prediction.authoritative:
                    self._record(position, score.greedy, bad)
                self._append(score.greedy, Provenance.CLOUD)
                self.gen.rollbacks += 1
                if bad_prov is Provenance.CACHE and self.cache is not None and prediction.authoritative:
                    self.cache.contradicted(tuple(self.tokens[:position]), bad)
                    self.gen.cache_contradictions += 1
                self.verified_upto = position + 1
                return True
        self.verified_upto = len(self.tokens)
        return False

    # -- the loop -----------------------------------------------------------------------
    def loop(self) -> None:
        cfg = self.cfg
        while True:
            self.gen.loop_stopped = False  # a rollback in the final verification reopens the request
            while self.new_count < cfg.max_new_tokens:
                if self.new_count and ((cfg.stop_at_eos and self.tokens[-1] == self.d.eos)
                                       or self.tokens[-1] in cfg.stop_ids):
                    break
                if output_loops(self.tokens, self.new_count, cfg.loop_stop):
                    self.gen.loop_stopped = True
                    break
                self._one_token()
                self.emit()
                if self.stopped_at is not None:
                    return
            if not (cfg.verify and self.cloud_enabled and self.verified_upto < len(self.tokens)):
                return
            # final verification of the unverified tail; a divergence reopens the loop
            prediction = self._ask_cloud(self._verify_from())
            if prediction is None:
                return
            self._observe(prediction)
            if not prediction.authoritative or not self._apply_verification(prediction):
                return

    def _one_token(self) -> None:
        if self.cache is not None and not self.cache_looped:
            served = self.cache.serve()
            if served is not None:
                if not cache_would_loop(self.tokens, self.gen.provenance, served, self.cfg.cache_loop_repeats,
                                        self.new_count) or (self.cfg.loop_stop and self.cache.prompt_decides(served)):
                    # (a cycle of this prompt's own entries is the cloud's own earlier answer to it:
                    # with the loop stop on it is replayed until the stop, at no cloud cost)
                    self._append(served, Provenance.CACHE)
                    return
                self.cache_looped = True  # the device (and the policy) take over
                self.gen.cache_loops += 1
        step = self.d.device.step(self.tokens)
        proposal = self._sample(step.logprobs)
        if self.labels is not None:
            self.labels.proposed(len(self.tokens), step.hidden, step.logprobs)
        if not self.policy.escalate(step):
            self._append(proposal, Provenance.DEVICE)
            return
        position = len(self.tokens)
        prediction = self._ask_cloud(self._verify_from())
        if prediction is None:
            self.gen.missed_escalations += 1
            self._append(proposal, Provenance.DEVICE)
            return
        self._observe(prediction)
        if self.cfg.verify and prediction.authoritative and self._apply_verification(prediction):
            return
        if self.labels is not None:
            if prediction.authoritative:
                self.labels.escalated(position, proposal, prediction.top_ids, prediction.top_logprobs)
            else:
                self.labels.dropped(position)  # a hub's scores are not the cloud's
        token = self._cloud_choice(step, prediction, proposal)
        if prediction.authoritative:
            self._record(position, token, proposal)
        self._append(token, Provenance.CLOUD)
        if self.cfg.verify and prediction.authoritative:  # a hub verifies nothing
            self.verified_upto = len(self.tokens)
