"""The token-level hybrid decoder: device proposes, policy routes, cloud corrects.

For each next token, in order (docs/design.md, "The decode loop"):
1. the correction cache may serve the token outright (no reward head, no cloud);
2. the device model proposes a token (KV-cached: one token of work per step);
3. the policy accepts it or escalates;
4. an escalation sends the cloud only what it has not seen; the same pass can verify the
   device tokens accepted since the last verification and roll back at the first one
   that differs from the cloud's greedy choice (BiLD rollback, arXiv 2302.07863);
   a cloud that fails or misses the deadline leaves the device token in place;
5. every escalation answered by the cloud is recorded as a correction
   (context window -> cloud token); with a correction cache attached, so is the cloud's
   greedy choice at every earlier token it scores in the same pass (an observation:
   the cache then counts what the cloud says after a context, not only where it
   disagreed with the device), up to the first token the cloud would not have written:
   what it says after that continues a text it would not have written;
6. with `DecodeConfig.settle`, one last call scores the tokens no call scored, for the cache
   (inference/settle.py); with reward labels, a spot-checked request's tail is scored for the
   labels (inference/explore.py).
Every output token carries its provenance (device / cloud / cache).

This module holds the request's entry point (prompt checks, privacy, what happens after the
loop); the loop and its state are inference/decode_run.py.

With full verification (window None) and greedy decoding, the output is exactly the
cloud's greedy output whatever the policy: accepted tokens are only kept once the cloud
agreed with them. That is the tau=0 identity the tests check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from transformers import PreTrainedModel, PreTrainedTokenizerFast

from inference.cache_protocol import CorrectionCache
from inference.cloud import Cloud
from inference.decode_run import DecodeRun
from inference.device_model import DeviceModel
from inference.errors import InferenceError
from inference.explore import explore_tail
from inference.generation import DecodeConfig, Generation, Provenance
from inference.privacy import ALLOW, PrivacyPolicy
from inference.reward_labels import LabelCollector
from inference.router import Policy, SlmOnly
from inference.settle import settle_answer
from inference.tokenizer import encode_prompt


class HybridDecoder:
    """Generates with a device model, escalating to a cloud per the request's policy.

    One decoder serves one request at a time (it owns the device model's KV state);
    make one per device. The cloud may be shared.
    """

    def __init__(self, device_model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast,
                 cloud: Cloud | None = None, cache: CorrectionCache | None = None,
                 use_kv_cache: bool = True):
        self.device = DeviceModel(device_model, use_kv_cache=use_kv_cache)
        self.tokenizer = tokenizer
        self.cloud = cloud
        self.cache = cache
        self.eos = tokenizer.eos_token_id
        if cloud is not None and cloud.vocab_size != device_model.config.vocab_size:
            from inference.errors import TokenizerMismatchError

            raise TokenizerMismatchError(
                f"cloud vocab size {cloud.vocab_size} differs from the device model's "
                f"{device_model.config.vocab_size}: device and cloud must share one tokenizer")

    def generate(self, prompt: str | Sequence[int], policy: Policy, cfg: DecodeConfig = DecodeConfig(),
                 on_token: Callable[[int, Provenance], bool | None] | None = None,
                 use_cache: bool = True, record: bool = True, privacy: PrivacyPolicy = ALLOW,
                 labels: LabelCollector | None = None, settled: set[int] | None = None,
                 agreed: set[int] | None = None) -> Generation:
        """Decode one request. Never raises because of the cloud.

        `on_token(token_id, provenance)` streams tokens as they settle: at once without
        verification, once verified (or final) with it, so a rollback never retracts a
        streamed token. When it returns True (a stop string was completed, the client went
        away), generation ends after that token and the output is cut there. With a cache
        attached (and `use_cache`), the request's corrections are recorded into it unless
        `record` is False. A prompt longer than the device model's context is an
        InferenceError; the new tokens are capped to the positions left.

        `privacy` decides what reaches the cloud: `local-only` makes no cloud call at all
        (the policy degrades to device + cache) and uploads nothing of the request;
        `redact` sends the prompt with sensitive spans masked and keeps the request's
        corrections on the device only.

        `labels` collects reward-head labels from the cloud's answers and scores, and spot-checks
        the request's unscored tail at its exploration rate (inference/reward_labels.py).

        `settled` (with `DecodeConfig.settle`): the `answer_digest`s of the answers settled before,
        which are not settled again (the cloud would score the same tokens the same way); this
        request's is added when it is settled. `agreed`: the digests of answers a settle found to
        be the cloud's own, token for token; such an answer is learnt again without a call (the
        observations a settle would record), and this request's is added when it is one.
        """
        started = time.perf_counter()
        ids = encode_prompt(self.tokenizer, prompt) if isinstance(prompt, str) else list(prompt)
        if not ids:
            raise InferenceError("empty prompt: give at least one token")
        room = self.device.max_positions - len(ids)
        if room < 1:
            raise InferenceError(f"the prompt has {len(ids)} tokens; the device model's context holds "
                                 f"{self.device.max_positions}: shorten the prompt")
        if cfg.max_new_tokens > room:
            cfg = replace(cfg, max_new_tokens=room)
        cloud_ids = ids
        if not privacy.cloud_allowed:
            policy, cloud_ids = SlmOnly(), None
        elif privacy.mode == "redact":
            text = prompt if isinstance(prompt, str) else self.tokenizer.decode(ids)
            cloud_ids = encode_prompt(self.tokenizer, privacy.cloud_prompt(text))
        run = DecodeRun(self, policy, cfg, ids, use_cache and self.cache is not None, on_token,
                   cloud_prompt=cloud_ids, track=privacy.record, labels=labels)
        run.loop()
        run.emit(final=True)
        if run.labels is not None and run.labels.spot_check():
            explore_tail(run)
        if cfg.settle:
            settle_answer(run, settled, agreed)
        gen = run.gen
        if run.stopped_at is not None:  # the caller ended the request: nothing after that token
            del run.tokens[run.prompt_len + run.stopped_at:]
            del gen.provenance[run.stopped_at:]
            del gen.answered_by[run.stopped_at:]
        gen.token_ids = run.tokens[run.prompt_len:]
        gen.elapsed_s = time.perf_counter() - started
        gen.text = self.tokenizer.decode(gen.token_ids, skip_special_tokens=True)
        if run.cache is not None and record:
            # corrections of redacted requests stay on the device (never uploaded)
            run.cache.record(gen.corrections, upload=privacy.mode == "allow", anchor=run.anchor)
        if self.cloud is not None and (gen.cloud_calls or gen.cloud_skipped):
            self.cloud.end_session(run.session)
        return gen
