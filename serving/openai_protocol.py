"""The OpenAI-compatible request bodies both servers accept, and the OpenAI error shape.

Request models validate types and ranges (a bad field is a 400 naming that field, never a
500); what depends on the model (context length, vocabulary) is checked by the engine.
An explicit null for an optional field means its default, as in the OpenAI API (the openai
client sends null for a parameter passed as None). Fields the OpenAI API defines but these
servers do not implement (n > 1, tools, response_format other than text, logit_bias, ...)
are refused by name rather than silently ignored; unknown fields are ignored, as
OpenAI-compatible servers do. Extensions, all optional:
- vLLM's `return_tokens_as_token_ids` and `ignore_eos`;
- fedhybrid's `privacy` ("allow", "local-only", "redact"), `threshold` (the routing
  policy's threshold) and `target_cloud_share` (a threshold picked from the reward head's
  calibration table), also settable per request by header (see `serving.http_app`).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

MAX_TOP_K = 20  # log-probabilities per position (the OpenAI API allows up to 20)
MAX_STOP = 4  # stop sequences per request (as OpenAI)
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1  # a signed 64-bit seed, as the OpenAI API documents
PRIVACY_MODES = ("allow", "local-only", "redact")

TokenIds = Annotated[list[Annotated[StrictInt, Field(ge=0)]], Field(min_length=1)]
Prompt = StrictStr | Annotated[list[StrictStr], Field(min_length=1)] | TokenIds | Annotated[
    list[TokenIds], Field(min_length=1)]


class OpenAIError(Exception):
    """An error reply in the OpenAI shape: {"error": {message, type, param, code}}."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 kind: str = "invalid_request_error", code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.kind = status, message, param, kind
        self.code = code or str(status)

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


class _Common(BaseModel):
    # unknown fields are accepted and ignored, as OpenAI-compatible servers do
    model_config = ConfigDict(extra="ignore")

    model: StrictStr | None = None
    temperature: float = Field(default=1.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    n: StrictInt = Field(default=1, ge=1)
    stream: StrictBool = False
    stream_options: dict | None = None
    stop: StrictStr | Annotated[list[StrictStr], Field(max_length=MAX_STOP)] | None = None
    seed: StrictInt | None = Field(default=None, ge=SEED_MIN, le=SEED_MAX)
    user: StrictStr | None = None
    presence_penalty: float = Field(default=0.0, ge=-2.0, le=2.0)
    frequency_penalty: float = Field(default=0.0, ge=-2.0, le=2.0)
    logit_bias: dict | None = None
    # vLLM
    ignore_eos: StrictBool = False
    # fedhybrid
    privacy: Literal["allow", "local-only", "redact"] | None = None
    threshold: float | None = Field(default=None, ge=0.0)
    target_cloud_share: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _null_is_the_default(cls, data):
        # OpenAI reads null as "the default" and the openai client sends null for a parameter
        # passed as None: drop it so the default applies. A required field keeps its null (to be
        # refused as null, not as missing), and so does one where None means something itself
        # (max_tokens: as many as fit).
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {k: v for k, v in data.items()
                if v is not None or k not in fields or fields[k].is_required()
                or type(None) in get_args(fields[k].annotation)}

    @field_validator("stop")
    @classmethod
    def _no_empty_stop(cls, value):
        stops = [value] if isinstance(value, str) else (value or [])
        if any(s == "" for s in stops):
            raise ValueError("stop sequences must not be empty strings")
        return value

    def stops(self) -> tuple[str, ...]:
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())

    def unsupported(self) -> OpenAIError | None:
        """A 400 for a field these servers do not implement (checked after parsing)."""
        if self.n != 1:
            return OpenAIError(400, "n > 1 is not supported: send one request per choice", "n")
        if self.top_p != 1.0:
            return OpenAIError(400, "top_p is not supported (sampling is plain temperature sampling): "
                                    "leave it at 1", "top_p")
        if self.presence_penalty or self.frequency_penalty:
            param = "presence_penalty" if self.presence_penalty else "frequency_penalty"
            return OpenAIError(400, f"{param} is not supported: leave it at 0", param)
        if self.logit_bias:
            return OpenAIError(400, "logit_bias is not supported (token probabilities cannot be biased here): "
                                    "leave it out or send {}", "logit_bias")
        if self.threshold is not None and self.target_cloud_share is not None:
            return OpenAIError(400, "give threshold or target_cloud_share, not both", "threshold")
        return None

    @property
    def include_usage(self) -> bool:
        return bool((self.stream_options or {}).get("include_usage"))


class CompletionRequest(_Common):
    """POST /v1/completions. `prompt`: a string, a list of strings, a list of token ids, or
    a list of token-id lists (each list entry is one choice, answered in order)."""

    prompt: Prompt
    max_tokens: StrictInt | None = Field(default=16, ge=0)
    logprobs: StrictInt | None = Field(default=None, ge=0, le=MAX_TOP_K)
    echo: StrictBool = False
    best_of: StrictInt | None = Field(default=None, ge=1, le=1)
    suffix: StrictStr | None = None
    return_tokens_as_token_ids: StrictBool = False

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

    def unsupported(self) -> OpenAIError | None:
        if self.suffix:
            return OpenAIError(400, "suffix (insertion) is not supported", "suffix")
        return super().unsupported()


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: StrictStr | list[dict] | None = None
    name: StrictStr | None = None

    def text(self) -> str:
        """The message's text (content parts of type "text" joined)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        parts = []
        for part in self.content:
            if part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise OpenAIError(400, f"content part of type {part.get('type')!r} is not supported "
                                       "(text only)", "messages")
            parts.append(part["text"])
        return "".join(parts)


class ChatCompletionRequest(_Common):
    """POST /v1/chat/completions."""

    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    max_tokens: StrictInt | None = Field(default=None, ge=1)
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1)
    logprobs: StrictBool = False
    tools: list | None = None
    functions: list | None = None
    response_format: dict | None = None

    def limit(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens

    def unsupported(self) -> OpenAIError | None:
        if self.logprobs:
            return OpenAIError(400, "logprobs are not supported on chat completions: use /v1/completions",
                               "logprobs")
        for name in ("tools", "functions"):  # `functions`: the API's older spelling of tools
            if getattr(self, name):
                return OpenAIError(400, f"{name} (function calling) are not supported: leave {name} out and "
                                        "describe the answer wanted in the messages", name)
        if self.response_format not in (None, {"type": "text"}):
            kind = self.response_format.get("type")
            return OpenAIError(400, f"response_format {kind!r} is not supported (answers are plain text: no JSON "
                                    'mode, no schema): send {"type": "text"} or leave it out, and ask for JSON in '
                                    "the messages", "response_format")
        return super().unsupported()


class TokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: StrictStr | None = None
    prompt: StrictStr
