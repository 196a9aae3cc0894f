"""The cloud tier's engine: completions over `PrefixEngine` (prefix reuse), no HTTP.

Two kinds of requests reach it: scoring calls from devices (`serving.remote_cloud`: token
ids, `echo` + `logprobs`, one new token) and plain text generation from users (text or
chat, streaming, stop sequences; generation ends at EOS unless `ignore_eos`).
"""

from __future__ import annotations

from inference.chat import chat_prompt_ids
from inference.tokenizer import encode_prompt, tokenizer_hash
from serving.engine_api import Emit, Job, JobDone, JobError, WorkerEngine
from serving.errors import ServingError
from serving.prefix_engine import PrefixEngine


class CloudEngine(WorkerEngine):
    supports_logprobs = True
    routes = False

    def __init__(self, prefix: PrefixEngine, tokenizer, model_name: str, max_queue: int = 256,
                 model_identity: str | None = None):
        super().__init__("cloud", max_queue)
        self.prefix, self.tokenizer, self.model_name = prefix, tokenizer, model_name
        # the served folder's content identity: a device checks its reward head was calibrated for it
        self.model_identity = model_identity
        self.max_positions = prefix.max_positions
        self.vocab_size = prefix.vocab_size
        self.tokenizer_hash = tokenizer_hash(tokenizer)
        self.eos = tokenizer.eos_token_id

    def card(self) -> dict:
        return {"max_model_len": self.max_positions, "vocab_size": self.vocab_size,
                "tokenizer_hash": self.tokenizer_hash,
                **({"model_identity": self.model_identity} if self.model_identity else {})}

    def encode(self, text: str) -> list[int]:
        return encode_prompt(self.tokenizer, text)

    def chat_ids(self, messages: list[tuple[str, str]]) -> list[int]:
        return chat_prompt_ids(self.tokenizer, messages)

    def health(self) -> dict:
        return {}  # the model is in this process: serving at all is its health

    def gauges(self) -> dict[str, tuple[float, str]]:
        stats = self.prefix.stats
        return {"queue_depth": (self.queued, "requests waiting for the engine"),
                "cached_tokens": (self.prefix.cached_tokens, "tokens held in pooled KV caches"),
                "engine_requests_total": (stats["requests"], "completions run by the engine"),
                "tokens_computed_total": (stats["tokens_computed"], "tokens the model ran a forward pass over"),
                "tokens_reused_total": (stats["tokens_reused"], "prompt tokens served from pooled KV caches"),
                "prefix_evictions_total": (stats["evictions"], "pooled sequences evicted")}

    def run(self, job: Job, emit: Emit) -> JobDone:
        p = job.params
        text, on_token = self.streamer(job, emit, self.tokenizer)
        scoring_only = p.max_tokens == 0  # echo with max_tokens=0: score the prompt only

        def each(token: int, logprob: float, top: dict[int, float]) -> bool:
            if scoring_only:
                return True
            return on_token(token, None, logprob, top if p.logprobs is not None else None)

        try:
            result = self.prefix.complete(job.prompt_ids, max(1, p.max_tokens), p.logprobs or 0, p.echo,
                                          p.temperature, p.seed, None if p.ignore_eos else self.eos, each)
        except ServingError as exc:  # too long, ids outside the vocabulary
            raise JobError(str(exc), "prompt") from exc
        generated = [] if scoring_only else result.generated
        if text.stopped:
            reason = "stop"
        else:
            text.finish()
            reason = "stop" if generated and generated[-1] == self.eos and not p.ignore_eos else "length"
        n = len(generated)
        return JobDone(generated, text.text if not scoring_only else "", reason, None,
                       {"tokens_computed": result.tokens_computed, "tokens_reused": result.tokens_reused},
                       result.prompt_token_logprobs if p.echo else None, result.prompt_top if p.echo else None,
                       {"logprobs": result.generated_logprobs[:n], "top": result.generated_top[:n]})
