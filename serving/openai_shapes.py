"""OpenAI response bodies and server-sent-event chunks for completions and chat completions.

`CompletionShape` and `ChatShape` turn an engine's `Job`s and `JobDone`s / `TokenEvent`s
into what OpenAI and vLLM clients parse (serving/http_app.py picks the shape per endpoint),
plus two extensions a client may ignore: `provenance` per choice or chunk (device / cache /
cloud per token) and a top-level `fedhybrid` list of the engine's per-choice records
(device agents: journal seq, installed versions, which tier answered).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from serving.engine_api import Job, JobDone, TokenEvent
from serving.openai_protocol import CompletionRequest

if TYPE_CHECKING:  # the engine protocol lives with the HTTP app; shapes only read its model name and tokenizer
    from serving.http_app import ServedEngine


def sse_event(payload: dict) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def usage(results: list[tuple[int, Job, JobDone]]) -> dict:
    """OpenAI usage plus the engines' own counters, summed over choices."""
    prompt = sum(len(job.prompt_ids) for _, job, _ in results)
    completion = sum(len(done.token_ids) for _, _, done in results)
    out = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    for _, _, done in results:
        for key, value in done.usage.items():
            out[key] = out.get(key, 0) + value
    return out


def _extension(results: list) -> dict:
    """The engine's per-choice extension record (device agents: journal seq, versions)."""
    records = [done.extra["fedhybrid"] for _, _, done in results if "fedhybrid" in done.extra]
    return {"fedhybrid": records} if records else {}


class CompletionShape:
    id_prefix, object, chunk_object = "cmpl-", "text_completion", "text_completion"

    def __init__(self, engine: ServedEngine, req: CompletionRequest):
        self.engine, self.req = engine, req
        self.as_ids = req.return_tokens_as_token_ids

    def _token(self, token: int) -> str:
        return f"token_id:{token}" if self.as_ids else self.engine.tokenizer.decode([token])

    def _top(self, top: dict[int, float] | None) -> dict[str, float] | None:
        return None if top is None else {self._token(t): v for t, v in top.items()}

    def _logprobs(self, job: Job, done: JobDone) -> dict | None:
        if self.req.logprobs is None:
            return None
        toks, lps, tops = [], [], []
        if self.req.echo:
            for i, token in enumerate(job.prompt_ids):
                toks.append(self._token(token))
                lps.append(done.prompt_logprobs[i])
                tops.append(self._top(done.prompt_top[i]))
        for token, lp, top in zip(done.token_ids, done.extra.get("logprobs", []), done.extra.get("top", [])):
            toks.append(self._token(token))
            lps.append(lp)
            tops.append(self._top(top))
        return {"tokens": toks, "token_logprobs": lps, "top_logprobs": tops, "text_offset": []}

    def _choice(self, index: int, job: Job, done: JobDone) -> dict:
        prefix = self.engine.tokenizer.decode(job.prompt_ids) if self.req.echo else ""
        choice = {"index": index, "text": prefix + done.text, "finish_reason": done.finish_reason,
                  "logprobs": self._logprobs(job, done)}
        if done.provenance is not None:
            choice["provenance"] = done.provenance  # extension: device / cache / cloud per token
        return choice

    def body(self, rid: str, created: int, results: list) -> dict:
        return {"id": rid, "object": self.object, "created": created, "model": self.engine.model_name,
                "choices": [self._choice(i, job, done) for i, job, done in results], "usage": usage(results),
                **_extension(results)}

    def first_chunk(self, rid: str, created: int, index: int) -> bytes:
        return b""

    def token_chunk(self, rid: str, created: int, index: int, ev: TokenEvent) -> bytes:
        choice = {"index": index, "text": ev.text, "finish_reason": None, "logprobs": None}
        if self.req.logprobs is not None:
            choice["logprobs"] = {"tokens": [self._token(ev.token_id)], "token_logprobs": [ev.logprob],
                                  "top_logprobs": [self._top(ev.top)], "text_offset": []}
        if ev.provenance is not None:
            choice["provenance"] = ev.provenance
        return sse_event({"id": rid, "object": self.chunk_object, "created": created, "model": self.engine.model_name,
                     "choices": [choice]})

    def final_chunk(self, rid: str, created: int, index: int, done: JobDone, tail: str) -> bytes:
        return sse_event({"id": rid, "object": self.chunk_object, "created": created, "model": self.engine.model_name,
                     "choices": [{"index": index, "text": tail, "finish_reason": done.finish_reason,
                                  "logprobs": None}], **_extension([(index, None, done)])})


class ChatShape:
    id_prefix, object, chunk_object = "chatcmpl-", "chat.completion", "chat.completion.chunk"

    def __init__(self, engine: ServedEngine):
        self.engine = engine

    def body(self, rid: str, created: int, results: list) -> dict:
        choices = []
        for index, _, done in results:
            choice = {"index": index, "message": {"role": "assistant", "content": done.text},
                      "finish_reason": done.finish_reason, "logprobs": None}
            if done.provenance is not None:
                choice["provenance"] = done.provenance
            choices.append(choice)
        return {"id": rid, "object": self.object, "created": created, "model": self.engine.model_name,
                "choices": choices, "usage": usage(results), **_extension(results)}

    def _chunk(self, rid: str, created: int, choice: dict) -> bytes:
        return sse_event({"id": rid, "object": self.chunk_object, "created": created, "model": self.engine.model_name,
                     "choices": [choice]})

    def first_chunk(self, rid: str, created: int, index: int) -> bytes:
        return self._chunk(rid, created, {"index": index, "delta": {"role": "assistant", "content": ""},
                                          "finish_reason": None, "logprobs": None})

    def token_chunk(self, rid: str, created: int, index: int, ev: TokenEvent) -> bytes:
        choice = {"index": index, "delta": {"content": ev.text}, "finish_reason": None, "logprobs": None}
        if ev.provenance is not None:
            choice["provenance"] = ev.provenance
        return self._chunk(rid, created, choice)

    def final_chunk(self, rid: str, created: int, index: int, done: JobDone, tail: str) -> bytes:
        return sse_event({"id": rid, "object": self.chunk_object, "created": created, "model": self.engine.model_name,
                     "choices": [{"index": index, "delta": {"content": tail} if tail else {},
                                  "finish_reason": done.finish_reason, "logprobs": None}],
                     **_extension([(index, None, done)])})
