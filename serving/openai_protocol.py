"""The OpenAI-compatible request bodies both servers accept, and the OpenAI error shape.

Request models validate types and ranges strictly, as the OpenAI API does: a bad field is a
400 naming that field, never a 500, and never coerced ("0.5" and true are not numbers, 12.5 is
not an integer, NaN and infinities are refused); an integer is a number. What depends on the
model (context length, vocabulary) is checked by the engine. An explicit null for an optional
field means its default, as in the OpenAI API (the openai client sends null for a parameter
passed as None). Every field's `description` says what to send: a refused body is answered
with it (`serving.validation_errors`).

The fields are those the OpenAI API defines for each endpoint, plus the extensions below; any
other name is refused as OpenAI refuses it ("Unrecognized request argument supplied: top_k"),
a field of the other endpoint included. Fields OpenAI defines that these servers do not
implement (n > 1, tools, audio, response_format other than text, logit_bias, penalties, ...)
are accepted at a value that leaves the answer as it is without them and refused by name
otherwise (`unsupported`); metadata that changes no answer (user, metadata,
safety_identifier, prompt-cache hints) is accepted. Extensions, all optional:
- vLLM's `ignore_eos` and (completions) `return_tokens_as_token_ids`;
- fedhybrid's `privacy` ("allow", "local-only", "redact"), `threshold` (the routing
  policy's threshold) and `target_cloud_share` (a threshold picked from the reward head's
  calibration table), also settable per request by header (see `serving.http_app`).
"""

from __future__ import annotations

import json
from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

MAX_TOP_K = 20  # log-probabilities per position (the OpenAI API allows up to 20)
MAX_STOP = 4  # stop sequences per request (as OpenAI)
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1  # a signed 64-bit seed, as the OpenAI API documents
PRIVACY_MODES = ("allow", "local-only", "redact")
PROMPT_FORMS = "a string, a list of strings, a list of token ids, or a list of token-id lists"

TokenIds = Annotated[list[Annotated[StrictInt, Field(ge=0)]], Field(min_length=1)]
Prompt = StrictStr | Annotated[list[StrictStr], Field(min_length=1)] | TokenIds | Annotated[
    list[TokenIds], Field(min_length=1)]
Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]  # a JSON number (an integer too), finite


class OpenAIError(Exception):
    """An error reply in the OpenAI shape: {"error": {message, type, param, code}}."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 kind: str = "invalid_request_error", code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.kind = status, message, param, kind
        self.code = code or str(status)

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


def show(value) -> str:
    """A sent value as a message names it (a long string cut: messages stay short)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return f"the string {value if len(value) <= 40 else value[:37] + '...'!r}" if value else "an empty string"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return "an object" if isinstance(value, dict) else type(value).__name__


class _Body(BaseModel):
    # a name no field has is refused (`serving.validation_errors` words it as OpenAI does)
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _null_is_the_default(cls, data):
        # OpenAI reads null as "the default" and the openai client sends null for a parameter
        # passed as None: drop it so the default applies, whatever the default is (completions'
        # max_tokens null is 16, as omitted; it was "as many as fit", another answer). A required
        # field keeps its null (to be refused as null, not as missing), and so does an unknown
        # name (to be refused as unknown).
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {k: v for k, v in data.items() if v is not None or k not in fields or fields[k].is_required()}


class StreamOptions(_Body):
    include_usage: StrictBool = Field(default=False, description="true or false")
    include_obfuscation: StrictBool = Field(default=True, description="true or false (no padding is sent either way)")


def _refusal(name: str, value, why: str) -> OpenAIError:
    whole = isinstance(value, float) and value.is_integer()  # 1 as sent, not the 1.0 parsed
    sent = json.dumps(int(value) if whole else value, separators=(",", ":"))
    return OpenAIError(400, f"{name}={sent if len(sent) <= 60 else sent[:57] + '...'} is not supported by this "
                            f"server{why}", name)


class _Common(_Body):
    model: StrictStr | None = Field(default=None, description="the served model's name")
    temperature: Number = Field(default=1.0, ge=0.0, le=2.0, description="a number from 0 to 2")
    top_p: Number = Field(default=1.0, gt=0.0, le=1.0, description="1 (the only value supported), or leave it out")
    n: StrictInt = Field(default=1, ge=1, description="1 (the only value supported), or leave it out")
    stream: StrictBool = Field(default=False, description="true or false")
    stream_options: StreamOptions | None = Field(
        default=None, description='an object such as {"include_usage": true}, with stream: true')
    stop: StrictStr | list[StrictStr] | None = Field(
        default=None, description=f"a string or a list of at most {MAX_STOP} non-empty strings")
    seed: StrictInt | None = Field(default=None, ge=SEED_MIN, le=SEED_MAX,
                                   description="an integer from -2**63 to 2**63-1")
    user: StrictStr | None = Field(default=None, description="a string")
    presence_penalty: Number = Field(default=0.0, ge=-2.0, le=2.0,
                                     description="0 (the only value supported), or leave it out")
    frequency_penalty: Number = Field(default=0.0, ge=-2.0, le=2.0,
                                      description="0 (the only value supported), or leave it out")
    logit_bias: dict | None = Field(default=None, description="{} (no bias is supported), or leave it out")
    # vLLM
    ignore_eos: StrictBool = Field(default=False, description="true or false")
    # fedhybrid
    privacy: Literal["allow", "local-only", "redact"] | None = Field(
        default=None, description="one of allow, local-only, redact")
    threshold: Number | None = Field(default=None, ge=0.0, description="a number >= 0")
    target_cloud_share: Number | None = Field(default=None, ge=0.0, le=1.0, description="a number from 0 to 1")

    # fields OpenAI defines that these servers do not implement: name -> (the values that leave
    # the answer as it is without the field, what is wrong with any other and what to do)
    NEUTRAL: ClassVar[dict[str, tuple[tuple, str]]] = {
        "n": ((1,), ": send one request per choice, or leave n out"),
        "top_p": ((1.0,), " (sampling is plain temperature sampling): leave it at 1 or leave it out"),
        "presence_penalty": ((0.0,), ": leave it at 0 or leave it out"),
        "frequency_penalty": ((0.0,), ": leave it at 0 or leave it out"),
        "logit_bias": ((None, {}), " (token probabilities cannot be biased here): leave it out or send {}"),
    }

    @field_validator("stop")
    @classmethod
    def _stop_sequences(cls, value):
        # checked here rather than by the type's max_length: a union reports a too-long list as
        # "not a string" first
        if isinstance(value, list) and len(value) > MAX_STOP:
            raise ValueError(f"stop takes at most {MAX_STOP} sequences (got {len(value)}): send fewer stop sequences")
        for i, stop in enumerate([value] if isinstance(value, str) else (value or [])):
            if stop == "":
                where = "stop" if isinstance(value, str) else f"stop[{i}]"
                raise ValueError(f"{where} is an empty string: stop sequences must not be empty (leave it out)")
        return value

    def stops(self) -> tuple[str, ...]:
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())

    def unsupported(self) -> OpenAIError | None:
        """A 400 for a field these servers do not implement, or fields that do not go together
        (checked after parsing)."""
        for name, (neutral, why) in self.NEUTRAL.items():
            value = getattr(self, name)
            if value not in neutral:
                return _refusal(name, value, why)
        if self.stream_options is not None and not self.stream:
            return OpenAIError(400, "stream_options is only allowed with stream: true: leave it out or send "
                                    "stream: true", "stream_options")
        if self.threshold is not None and self.target_cloud_share is not None:
            return OpenAIError(400, "give threshold or target_cloud_share, not both", "threshold")
        return None

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class CompletionRequest(_Common):
    """POST /v1/completions. `prompt`: a string, a list of strings, a list of token ids, or
    a list of token-id lists (each list entry is one choice, answered in order)."""

    prompt: Prompt = Field(description=PROMPT_FORMS)
    max_tokens: StrictInt = Field(default=16, ge=0, description="an integer >= 0 (0 only with echo)")
    logprobs: StrictInt | None = Field(default=None, ge=0, le=MAX_TOP_K,
                                       description=f"an integer from 0 to {MAX_TOP_K}")
    echo: StrictBool = Field(default=False, description="true or false")
    best_of: StrictInt | None = Field(default=None, ge=1, le=1,
                                      description="1 (the only value supported), or leave it out")
    suffix: StrictStr | None = Field(default=None, description="leave it out (insertion is not supported)")
    return_tokens_as_token_ids: StrictBool = Field(default=False, description="true or false")

    NEUTRAL: ClassVar = {**_Common.NEUTRAL, "suffix": ((None, ""), " (insertion is not supported): leave it out")}
    # what to send instead where the server generates but does not score (a device agent refuses
    # echo, so "0 only with echo" would send a client to a refusal)
    WITHOUT_SCORING: ClassVar[dict[str, str]] = {"max_tokens": "an integer >= 1"}

    def prompts(self) -> list[str | list[int]]:
        """The prompt as a list of single prompts (text or token ids)."""
        p = self.prompt
        if isinstance(p, str):
            return [p]
        if all(isinstance(x, str) for x in p):
            return list(p)
        if all(isinstance(x, int) for x in p):
            return [list(p)]
        return [list(x) for x in p]


class ChatMessage(BaseModel):
    # lenient on purpose: a client replays the messages it was answered with, and the openai
    # client's message objects carry fields such as refusal, annotations, tool_calls (all null).
    # Other names are kept, unread, so that a tool call in a replayed message is refused by name
    # (`ChatCompletionRequest.unsupported`) rather than dropped.
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"] = Field(
        description="one of system, developer, user, assistant, tool")
    # required, null refused: OpenAI requires content of every role but an assistant message
    # that carries tool_calls, and tool calls are not supported here
    content: StrictStr | list[dict] = Field(
        description='a string, or a list of text parts ({"type": "text", "text": ...})')
    name: StrictStr | None = Field(default=None, description="a string")

    def tool_call(self) -> str | None:
        """The name of a tool-call field this message carries with a value, if any."""
        extra = self.model_extra or {}
        return next((name for name in ("tool_calls", "function_call") if extra.get(name)), None)

    def text(self) -> str:
        """The message's text (content parts of type "text" joined)."""
        if isinstance(self.content, str):
            return self.content
        parts = []
        for part in self.content:
            if part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise OpenAIError(400, f"content part of type {part.get('type')!r} is not supported "
                                       "(text only)", "messages")
            parts.append(part["text"])
        return "".join(parts)


_FUNCTIONS = ": leave it out and describe the answer wanted in the messages"
_LEAVE_OUT = "leave it out"
_LOGPROBS = (" on chat completions (a server that scores text, such as `fedhybrid cloud serve`, gives "
             "log-probabilities on /v1/completions; a device agent does not): leave it out")
_JSON = (' (answers are plain text: no JSON mode, no schema): send {"type": "text"} or leave it out, and ask for '
         "JSON in the messages")


class ChatCompletionRequest(_Common):
    """POST /v1/chat/completions."""

    messages: Annotated[list[ChatMessage], Field(min_length=1)] = Field(
        description='a non-empty list of messages, each {"role": ..., "content": ...}')
    max_tokens: StrictInt | None = Field(default=None, ge=1, description="an integer >= 1")
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1, description="an integer >= 1")
    logprobs: StrictBool = Field(default=False, description="false, or leave it out (use /v1/completions)")
    top_logprobs: StrictInt | None = Field(default=None, ge=0, le=MAX_TOP_K, description="0, or leave it out")
    tools: list | None = Field(default=None, description="leave it out (function calling is not supported)")
    tool_choice: Literal["none", "auto", "required"] | dict | None = Field(
        default=None, description="none or auto (function calling is not supported), or leave it out")
    parallel_tool_calls: StrictBool = Field(default=True, description="true or false")
    functions: list | None = Field(default=None, description="leave it out (function calling is not supported)")
    function_call: Literal["none", "auto"] | dict | None = Field(
        default=None, description="none or auto (function calling is not supported), or leave it out")
    response_format: dict | None = Field(default=None, description='{"type": "text"}, or leave it out')
    modalities: list[Literal["text", "audio"]] | None = Field(default=None, description='["text"], or leave it out')
    audio: dict | None = Field(default=None, description="leave it out (answers are text)")
    prediction: dict | None = Field(default=None, description="leave it out (predicted outputs are not supported)")
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = Field(
        default=None, description="none, or leave it out (the served models do not reason)")
    verbosity: Literal["low", "medium", "high"] | None = Field(default=None, description="medium, or leave it out")
    service_tier: Literal["auto", "default", "flex", "scale", "priority", "fast"] | None = Field(
        default=None, description="one of 'auto', 'default' (the one tier served), or leave it out")
    store: StrictBool | None = Field(default=None, description="false, or leave it out (nothing is stored)")
    moderation: dict | None = Field(default=None, description="leave it out (no moderation runs here)")
    web_search_options: dict | None = Field(default=None, description="leave it out (no web search here)")
    # metadata that changes no answer: accepted
    metadata: dict[StrictStr, StrictStr] | None = Field(default=None, description="an object of string values")
    safety_identifier: StrictStr | None = Field(default=None, description="a string")
    prompt_cache_key: StrictStr | None = Field(default=None, description="a string")
    prompt_cache_options: dict | None = Field(default=None, description="an object")
    prompt_cache_retention: Literal["in_memory", "24h"] | None = Field(default=None,
                                                                       description="in_memory or 24h")

    NEUTRAL: ClassVar = {
        **_Common.NEUTRAL,
        "logprobs": ((False,), _LOGPROBS),
        "top_logprobs": ((None, 0), _LOGPROBS),
        "tools": ((None, []), f" (function calling){_FUNCTIONS}"),
        "functions": ((None, []), f" (function calling){_FUNCTIONS}"),
        "tool_choice": ((None, "none", "auto"), f" (function calling){_FUNCTIONS}"),
        "function_call": ((None, "none", "auto"), f" (function calling){_FUNCTIONS}"),
        "response_format": ((None, {"type": "text"}), _JSON),
        "modalities": ((None, ["text"]), ' (answers are text): send ["text"] or leave it out'),
        "audio": ((None,), f" (answers are text): {_LEAVE_OUT}"),
        "prediction": ((None,), f" (predicted outputs): {_LEAVE_OUT}"),
        "reasoning_effort": ((None, "none"), f" (the served models do not reason): {_LEAVE_OUT} or send 'none'"),
        "verbosity": ((None, "medium"), f": {_LEAVE_OUT} or send 'medium', and ask for the length in the messages"),
        "service_tier": ((None, "auto", "default"), " (it serves one tier): send 'auto' or leave it out"),
        "store": ((None, False), f" (completions are not stored here): {_LEAVE_OUT} or send false"),
        "moderation": ((None,), f" (no moderation runs here): {_LEAVE_OUT} and moderate on your side"),
        "web_search_options": ((None,), f" (no web search here): {_LEAVE_OUT}"),
    }

    def unsupported(self) -> OpenAIError | None:
        if (bad := super().unsupported()) is not None:
            return bad
        for i, message in enumerate(self.messages):
            if (name := message.tool_call()) is not None:
                return OpenAIError(400, f"messages[{i}].{name} is not supported by this server (function calling): "
                                        f"leave {name} out and send the assistant's answer as content", "messages")
        return None

    def limit(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


class TokenizeRequest(BaseModel):
    # vLLM's endpoint, not OpenAI's: lenient as vLLM is (add_special_tokens and the like ignored)
    model_config = ConfigDict(extra="ignore")

    model: StrictStr | None = Field(default=None, description="the served model's name")
    prompt: StrictStr = Field(description="a string")
