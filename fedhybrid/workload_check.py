"""`fedhybrid workload check`: what a workload file holds, read as every command that uses it reads it.

The file is loaded by `workloads.files.load_workload` (the loader of eval, calibrate, bench,
fed run, demo and fleet traffic) and its requests checked by the grader, as eval checks them
before decoding, so a file this accepts loads there too and a file it refuses fails there with
the same message. Nothing here loads a model: with a tokenizer (a folder's tokenizer.json, the
zoo's or a model folder a user brings) the prompts are tokenized as eval tokenizes them
(`prompt_ids`), and against the folder's config.json `max_position_embeddings` the prompts eval
would refuse as too long are counted.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workloads.graders import Grader, not_graded_against_cloud, not_graded_warning
from workloads.requests import Request

SHOWN_IDS = 5  # ids named in a warning; the JSON summary lists them all


def prompt_ids(tokenizer, req: Request) -> list[int]:
    """The request's prompt as the device agent would tokenize it."""
    if req.messages is not None:
        from inference.chat import chat_prompt_ids

        return chat_prompt_ids(tokenizer, req.messages)
    from inference.tokenizer import encode_prompt

    return encode_prompt(tokenizer, req.prompt or "")


@dataclass(frozen=True)
class Tokens:
    """A tokenizer to measure prompts with, and what the folder it came from says of its model."""

    tokenizer: object
    source: str  # how the user named it ("zoo edge", a folder)
    folder: Path
    context: int | None  # config.json's max_position_embeddings; None: not known


def context_of(folder: Path) -> int | None:
    """The model's context window from `folder`/config.json (max_position_embeddings), or None
    where the folder has no readable config that says (a bare tokenizer folder)."""
    try:
        value = json.loads((folder / "config.json").read_text()).get("max_position_embeddings")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def summarize(path: Path, requests: Sequence[Request], grader: Grader, tokens: Tokens | None = None,
              max_new_tokens: int = 128) -> dict:
    """What `requests` (loaded from `path`) hold, as a JSON-ready dict (`fedhybrid workload check --json`)."""
    n = len(requests)
    by_prompt: dict[object, list[Request]] = {}
    for req in requests:
        by_prompt.setdefault(req.messages if req.messages is not None else req.prompt, []).append(req)
    repeats = [group for group in by_prompt.values() if len(group) > 1]
    summary = {
        "workload": str(path),
        "format": _format(path),
        "requests": n,
        "prompt": sum(r.messages is None for r in requests),
        "messages": sum(r.messages is not None for r in requests),
        "with_answer": sum(r.answer is not None for r in requests),
        "with_reference": sum(r.reference is not None for r in requests),
        "without_target": sum(r.answer is None and r.reference is None for r in requests),
        "grader": grader.kind,
        "pattern": grader.pattern,
        "graders": dict(Counter(grader.resolve(r) for r in requests).most_common()),
        "devices": dict(sorted(Counter(r.device for r in requests if r.device is not None).items())),
        "partitions": {str(k): v for k, v in sorted(Counter(r.partition for r in requests
                                                             if r.partition is not None).items())},
        "unplaced": sum(r.device is None and r.partition is None for r in requests),
        "sensitive": sum(r.sensitive for r in requests),
        # sensitive requests judged against the cloud, which never decodes them: eval cannot grade these
        "not_graded": [r.id for r in not_graded_against_cloud(grader, requests)],
        "duplicate_prompts": [[r.id for r in group] for group in repeats],
        # the same prompt with different answers: one of them is graded wrong whatever the model says
        "conflicting_answers": [[r.id for r in group] for group in repeats
                                if len({(r.answer, r.reference) for r in group}) > 1],
        "tokens": None,
    }
    if tokens is not None:
        summary["tokens"] = _token_stats(requests, tokens, max_new_tokens)
    return summary


def _format(path: Path) -> str:
    if path.is_dir():
        from workloads.files import folder_files

        files = folder_files(path)
        kinds = sorted({p.suffix.lstrip(".") for p in files})
        return f"folder of {len(files)} file{'s' if len(files) != 1 else ''} ({', '.join(kinds)})"
    return path.suffix.lower().lstrip(".")


def _token_stats(requests: Sequence[Request], tokens: Tokens, max_new_tokens: int) -> dict:
    lengths = [len(prompt_ids(tokens.tokenizer, r)) for r in requests]
    limit = tokens.context
    return {
        "tokenizer": tokens.source, "folder": str(tokens.folder),
        "min": min(lengths), "median": statistics.median(lengths), "max": max(lengths),
        "context": limit, "max_new_tokens": max_new_tokens,
        # eval refuses a run holding any of these (its prompt + --max-new-tokens past the context)
        "too_long": None if limit is None else [r.id for r, k in zip(requests, lengths)
                                                if k + max_new_tokens > limit],
        "longer_than_context": None if limit is None else sum(k > limit for k in lengths),
        "empty": [r.id for r, k in zip(requests, lengths) if k == 0],
    }


def rows(summary: dict) -> list[tuple[str, str]]:
    """(label, text) lines of the summary, in reading order."""
    n = summary["requests"]
    graders = ", ".join(f"{kind} {count}" for kind, count in summary["graders"].items())
    kind = summary["grader"] + (" (the default)" if summary["grader"] == "auto" else "")
    placed = [f"device {name}: {count}" for name, count in summary["devices"].items()]
    placed += [f"partition {p}: {count}" for p, count in summary["partitions"].items()]
    if summary["unplaced"]:
        placed.append(f"{'none named' if summary['unplaced'] == n else 'neither device nor partition'}: "
                      f"{summary['unplaced']} (placed by the split: --workload-split, fleet traffic's --split)")
    dups = summary["duplicate_prompts"]
    out = [
        ("format", summary["format"]),
        ("requests", f"{n} ({summary['prompt']} prompt, {summary['messages']} messages)"),
        ("answers", (f"{summary['with_answer']} with answer, {summary['with_reference']} with reference, "
                     f"{summary['without_target']} with neither")),
        ("grader", f"{kind}" + (f" pattern {summary['pattern']!r}" if summary["pattern"] else "") + f": {graders}"),
        ("devices", "; ".join(placed)),
        ("sensitive", f"{summary['sensitive']}" + (" (local-only: never sent to the cloud; calibrate leaves them "
                                                   "out)" if summary["sensitive"] else "")
         + (f"; {len(summary['not_graded'])} graded agreement-with-cloud: eval cannot grade "
            f"{'it' if len(summary['not_graded']) == 1 else 'them'}" if summary["not_graded"] else "")),
        ("duplicate prompts", f"{_count(sum(len(g) - 1 for g in dups), 'repeat')} of {_count(len(dups), 'prompt')}"
         if dups else "none"),
    ]
    tok = summary["tokens"]
    if tok is not None:
        out.append(("prompt tokens", (f"min {tok['min']}, median {tok['median']:g}, max {tok['max']} "
                                      f"(tokenizer: {tok['tokenizer']})")))
        if tok["context"] is None:
            out.append(("context", f"not known (no max_position_embeddings in {tok['folder']}/config.json)"))
        else:
            out.append(("context", f"{tok['context']} tokens: {len(tok['too_long'])} of {n} prompts + "
                                   f"--max-new-tokens {tok['max_new_tokens']} exceed it"
                                   + (f" ({tok['longer_than_context']} alone)" if tok["longer_than_context"] else "")))
    return out


def warnings(summary: dict) -> list[str]:
    """What a user should look at before a run (the file is valid; these are not errors)."""
    out = []
    dups = summary["duplicate_prompts"]
    if dups:
        out.append(f"{_count(len(dups), 'prompt')} {_verb(len(dups), 'appears', 'appear')} more than once "
                   f"({_groups(dups)}): each copy is decoded and graded as a request of its own")
    clash = summary["conflicting_answers"]
    if clash:
        out.append(f"{_count(len(clash), 'repeated prompt')} {_verb(len(clash), 'carries', 'carry')} different "
                   f"answers or references ({_groups(clash)}): at most one of each can be graded right")
    tok = summary["tokens"]
    if tok is not None and tok["too_long"]:
        k = len(tok["too_long"])
        out.append(f"{_count(k, 'request')} ({_ids(tok['too_long'])}) {_verb(k, 'exceeds', 'exceed')} the context of "
                   f"{tok['context']} tokens with --max-new-tokens {tok['max_new_tokens']}: eval refuses the file; "
                   f"shorten {_verb(k, 'it', 'them')}, leave {_verb(k, 'it', 'them')} out, or lower --max-new-tokens")
    if tok is not None and tok["empty"]:
        k = len(tok["empty"])
        out.append(f"{_count(k, 'prompt')} ({_ids(tok['empty'])}) {_verb(k, 'tokenizes', 'tokenize')} to no tokens: "
                   "eval refuses the file")
    # after the refusals above (eval would not run at all); the words are eval's own warning
    if summary["not_graded"]:
        out.append(not_graded_warning(summary["grader"], summary["not_graded"], summary["requests"]))
    return out


def _count(k: int, noun: str) -> str:
    """'1 prompt', '2 prompts'."""
    return f"{k} {noun}{'' if k == 1 else 's'}"


def _verb(k: int, one: str, many: str) -> str:
    """The word that agrees with a count of `k`."""
    return one if k == 1 else many


def _ids(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


def _groups(groups: list[list[str]]) -> str:
    shown = "; ".join(" = ".join(repr(i) for i in group) for group in groups[:SHOWN_IDS])
    return "ids " + shown + (f"; and {len(groups) - SHOWN_IDS} more" if len(groups) > SHOWN_IDS else "")
