"""The 400 for a request body that failed validation, in this API's words rather than pydantic's.

Say where the problem is as the client wrote it ("messages[0].role"), what was sent there
and what to send (the field's `description` in `serving.openai_protocol`); a name the endpoint
does not define is answered as OpenAI answers it ("Unrecognized request argument supplied:
top_k"), with where it belongs when it is a field of the other endpoint.
"""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel

from serving.openai_protocol import PROMPT_FORMS, ChatCompletionRequest, CompletionRequest, OpenAIError, show

_SOURCES = ("body", "query", "path", "header", "cookie")  # FastAPI's first `loc` entry
_EXPECTED = {  # what to send, by pydantic's error type, where no field description says it
    "string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
    "int_from_float": "an integer", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "dict_type": "an object", "model_type": "an object", "model_attributes_type": "an object",
}
_BOUNDS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def validation_error(errors: list[dict], body_type=None, body=None, scores: bool = True) -> OpenAIError:
    """The 400 for a request that failed validation, in this API's words rather than pydantic's.

    `param` names the first bad field (the top-level one: "messages" for a bad role); the
    message says where exactly, what was sent there and what to send ("messages[0].role is the
    string 'robot': send one of ..."). `errors` are pydantic's, as FastAPI reports them;
    `body_type` is the route's body type (a model's field descriptions say what to send);
    `body` is the parsed body (to say which part of a refused prompt is wrong); `scores` is false
    on a server that generates but does not score (a device agent), which accepts less of some
    fields (`CompletionRequest.WITHOUT_SCORING` says what to send there)."""
    model = _submodel(body_type)
    if not errors:
        return OpenAIError(400, "the request is malformed: send a JSON object")
    unknown = [str(loc[0]) for e in errors if e["type"] == "extra_forbidden" and len(loc := _in_source(e)) == 1]
    if unknown:  # OpenAI's words, then where a field of the other endpoint belongs
        return OpenAIError(400, f"Unrecognized request argument{'s' if len(unknown) > 1 else ''} supplied: "
                                f"{', '.join(unknown)}{_elsewhere(unknown, model)}", unknown[0])
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
    if not scores and where == field and field in getattr(model, "WITHOUT_SCORING", {}):
        hint = model.WITHOUT_SCORING[field]
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "extra_forbidden":  # a name inside an object field (stream_options)
        message = f"{where} has no field {_in_source(err)[-1]!r}: send {hint or 'only its own fields'}"
    elif kind == "value_error":  # raised by a validator here, in its own words
        message = str(ctx.get("error", err.get("msg")))
    elif kind == "missing":
        message = f"{where} is missing: send " + (hint or ("it as a query parameter" if source == "query" else "it"))
    elif model is CompletionRequest and field == "prompt":
        value = body.get("prompt") if isinstance(body, dict) else err.get("input")
        message = f"{_prompt_problem(value)}: send {PROMPT_FORMS}"
    else:
        message = f"{where} is {show(err.get('input'))}: send {hint or _expected(err)}"
    return OpenAIError(400, message, field)


def _elsewhere(names: list[str], model: type[BaseModel] | None) -> str:
    """" (messages is a field of POST /v1/chat/completions)" for names the other endpoint has."""
    other = {CompletionRequest: (ChatCompletionRequest, "/v1/chat/completions"),
             ChatCompletionRequest: (CompletionRequest, "/v1/completions")}.get(model)
    theirs = [n for n in names if other is not None and n in other[0].model_fields]
    if not theirs:
        return ""
    return f" ({', '.join(theirs)} {'is a field' if len(theirs) == 1 else 'are fields'} of POST {other[1]})"


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


def _is_id(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _prompt_problem(p) -> str:
    """Which part of a refused prompt is wrong: its first entry picks the form it meant
    ("prompt[2] is the string 'a' in a list of token ids")."""
    if not isinstance(p, list) or not p:
        return f"prompt is {show(p)}"
    if isinstance(p[0], str):
        bad = next((i for i, x in enumerate(p) if not isinstance(x, str)), None)
        return f"prompt[{bad}] is {show(p[bad])} in a list of strings" if bad is not None else "prompt is malformed"
    if _is_id(p[0]):
        bad = next((i for i, x in enumerate(p) if not _is_id(x)), None)
        return f"prompt[{bad}] is {show(p[bad])} in a list of token ids" if bad is not None else "prompt is malformed"
    if isinstance(p[0], list) and p[0]:
        for i, ids in enumerate(p):
            if not isinstance(ids, list) or not ids:
                return f"prompt[{i}] is {show(ids)} in a list of token-id lists"
            bad = next((j for j, x in enumerate(ids) if not _is_id(x)), None)
            if bad is not None:
                return f"prompt[{i}][{bad}] is {show(ids[bad])} in a list of token-id lists"
    return f"prompt[0] is {show(p[0])}"
