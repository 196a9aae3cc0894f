"""The OpenAI-compatible request bodies both servers accept, and the OpenAI error shape.

Request models validate types and ranges (a bad field is a 400 naming that field, never a
500); what depends on the model (context length, vocabulary) is checked by the engine.
An explicit null for an optional field means its default, as in the OpenAI API (the openai
client sends null for a parameter passed as None). Fields the OpenAI API defines but these
servers do not implement (n > 1, tools, response_format other than text, logit_bias, ...)
are refused by name rather than silently ignored; unknown fields are ignored, as
OpenAI-compatible servers do. Every field's `description` says what to send: a refused body
is answered with it (`validation_error`). Extensions, all optional:
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
PROMPT_FORMS = "a string, a list of strings, a list of token ids, or a list of token-id lists"

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

    model: StrictStr | None = Field(default=None, description="the served model's name")
    temperature: float = Field(default=1.0, ge=0.0, le=2.0, description="a number from 0 to 2")
    top_p: float = Field(default=1.0, gt=0.0, le=1.0, description="1 (the only value supported), or leave it out")
    n: StrictInt = Field(default=1, ge=1, description="1 (the only value supported), or leave it out")
    stream: StrictBool = Field(default=False, description="true or false")
    stream_options: dict | None = Field(default=None, description='an object such as {"include_usage": true}')
    stop: StrictStr | list[StrictStr] | None = Field(
        default=None, description=f"a string or a list of at most {MAX_STOP} non-empty strings")
    seed: StrictInt | None = Field(default=None, ge=SEED_MIN, le=SEED_MAX,
                                   description="an integer from -2**63 to 2**63-1")
    user: StrictStr | None = Field(default=None, description="a string")
    presence_penalty: float = Field(default=0.0, ge=-2.0, le=2.0,
                                    description="0 (the only value supported), or leave it out")
    frequency_penalty: float = Field(default=0.0, ge=-2.0, le=2.0,
                                     description="0 (the only value supported), or leave it out")
    logit_bias: dict | None = Field(default=None, description="{} (no bias is supported), or leave it out")
    # vLLM
    ignore_eos: StrictBool = Field(default=False, description="true or false")
    # fedhybrid
    privacy: Literal["allow", "local-only", "redact"] | None = Field(
        default=None, description="one of allow, local-only, redact")
    threshold: float | None = Field(default=None, ge=0.0, description="a number >= 0")
    target_cloud_share: float | None = Field(default=None, ge=0.0, le=1.0, description="a number from 0 to 1")

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

    prompt: Prompt = Field(description=PROMPT_FORMS)
    max_tokens: StrictInt | None = Field(default=16, ge=0, description="an integer >= 0 (0 only with echo)")
    logprobs: StrictInt | None = Field(default=None, ge=0, le=MAX_TOP_K,
                                       description=f"an integer from 0 to {MAX_TOP_K}")
    echo: StrictBool = Field(default=False, description="true or false")
    best_of: StrictInt | None = Field(default=None, ge=1, le=1,
                                      description="1 (the only value supported), or leave it out")
    suffix: StrictStr | None = Field(default=None, description="leave it out (insertion is not supported)")
    return_tokens_as_token_ids: StrictBool = Field(default=False, description="true or false")

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

    role: Literal["system", "developer", "user", "assistant", "tool"] = Field(
        description="one of system, developer, user, assistant, tool")
    content: StrictStr | list[dict] | None = Field(
        default=None, description='a string, a list of text parts ({"type": "text", "text": ...}), or null')
    name: StrictStr | None = Field(default=None, description="a string")

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

    messages: Annotated[list[ChatMessage], Field(min_length=1)] = Field(
        description='a non-empty list of messages, each {"role": ..., "content": ...}')
    max_tokens: StrictInt | None = Field(default=None, ge=1, description="an integer >= 1")
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1, description="an integer >= 1")
    logprobs: StrictBool = Field(default=False, description="false, or leave it out (use /v1/completions)")
    tools: list | None = Field(default=None, description="leave it out (function calling is not supported)")
    functions: list | None = Field(default=None, description="leave it out (function calling is not supported)")
    response_format: dict | None = Field(default=None, description='{"type": "text"}, or leave it out')

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

    model: StrictStr | None = Field(default=None, description="the served model's name")
    prompt: StrictStr = Field(description="a string")


# -- refused bodies -----------------------------------------------------------------------------
_SOURCES = ("body", "query", "path", "header", "cookie")  # FastAPI's first `loc` entry
_EXPECTED = {  # what to send, by pydantic's error type, where no field description says it
    "string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
    "int_from_float": "an integer", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "dict_type": "an object", "model_type": "an object", "model_attributes_type": "an object",
}
_BOUNDS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def validation_error(errors: list[dict], body_type=None, body=None) -> OpenAIError:
    """The 400 for a request that failed validation, in this API's words rather than pydantic's.

    `param` names the first bad field (the top-level one: "messages" for a bad role); the
    message says where exactly, what was sent there and what to send ("messages[0].role is the
    string 'robot': send one of ..."). `errors` are pydantic's, as FastAPI reports them;
    `body_type` is the route's body type (a model's field descriptions say what to send);
    `body` is the parsed body (to say which part of a refused prompt is wrong)."""
    model = _submodel(body_type)
    if not errors:
        return OpenAIError(400, "the request is malformed: send a JSON object")
    first = errors[0]
    loc = _in_source(first)
    source = first["loc"][0] if first.get("loc") and first["loc"][0] in _SOURCES else "body"
    if first.get("type") == "json_invalid":
        return OpenAIError(400, "the body is not valid JSON: send a JSON object")
    if not loc:  # the body itself, not a field of it
        if first.get("type") == "missing":
            return OpenAIError(400, "the body is empty: send a JSON object with content-type: application/json")
        # a JSON array or scalar, or an object sent as text/plain (FastAPI decodes JSON only
        # under a JSON content type)
        return OpenAIError(400, "the body is not a JSON object: send one with content-type: application/json")
    field = str(loc[0])
    same = [e for e in errors if _in_source(e)[:1] == loc[:1]]
    # a union field (prompt, stop, content) reports one error per alternative: the deepest
    # error that is not just "another type" is the one closest to what the client meant
    err = max(same or [first], key=lambda e: (not e["type"].endswith("_type"), _place(e, model)[2]))
    where, hint, _ = _place(err, model)
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "value_error":  # raised by a validator here, in its own words
        message = str(ctx.get("error", err.get("msg")))
    elif kind == "missing":
        message = f"{where} is missing: send " + (hint or ("it as a query parameter" if source == "query" else "it"))
    elif model is CompletionRequest and field == "prompt":
        value = body.get("prompt") if isinstance(body, dict) else err.get("input")
        message = f"{_prompt_problem(value)}: send {PROMPT_FORMS}"
    else:
        message = f"{where} is {_show(err.get('input'))}: send {hint or _expected(err)}"
    return OpenAIError(400, message, field)


def _in_source(err: dict) -> list:
    """An error's `loc` without FastAPI's leading source ("body", "query", ...)."""
    loc = list(err.get("loc", ()))
    return loc[1:] if loc and loc[0] in _SOURCES else loc


def _place(err: dict, model: type[BaseModel] | None) -> tuple[str, str | None, int]:
    """Where an error is, as the client wrote it ("messages[0].role": union alternatives'
    tags such as 'list[str]' dropped), the description of the field there, and its depth."""
    where, hint, depth = "", None, 0
    for part in _in_source(err):
        fields = model.model_fields if model is not None else {}
        if isinstance(part, int):
            where += f"[{part}]"
        elif not where or part in fields:
            where += f".{part}" if where else str(part)
            field = fields.get(part)
            hint = field.description if field is not None else None
            model = _submodel(field.annotation) if field is not None else None
        else:
            continue  # the tag of a union's alternative
        depth += 1
    return where, hint, depth


def _submodel(annotation) -> type[BaseModel] | None:
    """The model inside a field's type (ChatMessage in list[ChatMessage]), if any."""
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _expected(err: dict) -> str:
    """What to send, from the error alone (a field without a description: a query parameter)."""
    ctx = err.get("ctx") or {}
    if err["type"] in _EXPECTED:
        return _EXPECTED[err["type"]]
    if err["type"] == "literal_error":
        return f"one of {ctx.get('expected')}"
    bound = next((k for k in _BOUNDS if k in ctx), None)
    if bound is not None:
        return f"a value {_BOUNDS[bound]} {ctx[bound]}"
    return str(err.get("msg", "a valid value")).removeprefix("Input should be ")


def _show(value) -> str:
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


def _is_id(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _prompt_problem(p) -> str:
    """Which part of a refused prompt is wrong: its first entry picks the form it meant
    ("prompt[2] is the string 'a' in a list of token ids")."""
    if not isinstance(p, list) or not p:
        return f"prompt is {_show(p)}"
    if isinstance(p[0], str):
        bad = next((i for i, x in enumerate(p) if not isinstance(x, str)), None)
        return f"prompt[{bad}] is {_show(p[bad])} in a list of strings" if bad is not None else "prompt is malformed"
    if _is_id(p[0]):
        bad = next((i for i, x in enumerate(p) if not _is_id(x)), None)
        return f"prompt[{bad}] is {_show(p[bad])} in a list of token ids" if bad is not None else "prompt is malformed"
    if isinstance(p[0], list) and p[0]:
        for i, ids in enumerate(p):
            if not isinstance(ids, list) or not ids:
                return f"prompt[{i}] is {_show(ids)} in a list of token-id lists"
            bad = next((j for j, x in enumerate(ids) if not _is_id(x)), None)
            if bad is not None:
                return f"prompt[{i}][{bad}] is {_show(ids[bad])} in a list of token-id lists"
    return f"prompt[0] is {_show(p[0])}"
