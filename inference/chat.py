"""Chat messages -> one prompt text, for the OpenAI chat API of every fedhybrid server.

A model that ships a chat template (`tokenizer.chat_template`, as most instruction-tuned
Hugging Face models do) is rendered with it, generation prompt added. The zoo models were
trained on question/answer text and have none; for them (and any model without a
template) the plain template below applies, documented in the README:

    <system and developer messages, one per line>
    Q: <user message>
    A: <assistant message>
    Q: <user message>
    A:

so a single user turn "Ava has 12 apples..." becomes exactly the zoo's own prompt format
"Q: Ava has 12 apples...\\nA:".
"""

from __future__ import annotations

from collections.abc import Sequence

from inference.errors import InferenceError
from inference.tokenizer import encode_prompt

ROLES = ("system", "developer", "user", "assistant", "tool")


def render_plain(messages: Sequence[tuple[str, str]]) -> str:
    """The plain Q/A template (see the module docstring)."""
    lines: list[str] = []
    for role, text in messages:
        if role in ("system", "developer"):
            lines.append(text.strip())
        elif role == "user":
            lines.append(f"Q: {text.strip()}")
        elif role == "assistant":
            lines.append(f"A: {text.strip()}")
        else:  # tool output reads as context the model is given
            lines.append(text.strip())
    return "\n".join(line for line in lines if line) + "\nA:"


def render_chat(tokenizer, messages: Sequence[tuple[str, str]]) -> str:
    """The prompt text for `messages` ((role, text) pairs, the last one normally "user").

    Raises:
        InferenceError: no messages, an unknown role, or a template that fails to render.
    """
    if not messages:
        raise InferenceError("a chat needs at least one message")
    bad = [role for role, _ in messages if role not in ROLES]
    if bad:
        raise InferenceError(f"unknown chat role {bad[0]!r}: use one of {ROLES}")
    if getattr(tokenizer, "chat_template", None):
        try:
            return tokenizer.apply_chat_template([{"role": r, "content": t} for r, t in messages],
                                                 tokenize=False, add_generation_prompt=True)
        except Exception as exc:  # jinja errors of a user's template, reported as ours
            raise InferenceError(f"the model's chat template failed to render these messages: {exc}") from exc
    return render_plain(messages)


def chat_prompt_ids(tokenizer, messages: Sequence[tuple[str, str]]) -> list[int]:
    """Token ids of the rendered chat. A chat template writes its own special tokens (a BOS
    among them), so its text is encoded without adding them again; the plain template is
    encoded like any text prompt."""
    text = render_chat(tokenizer, messages)
    if getattr(tokenizer, "chat_template", None):
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])
    return encode_prompt(tokenizer, text)
