"""Which words of one held-out sentence decide how a model reads it: the sentence varied, the rest kept.

Takes the requests of a workload file whose prompt holds a sentence matching PATTERN (a regex
with a group named ``b``, the step's number), rewrites that sentence with each REPLACEMENT
(`re.sub` syntax, so ``\\g<name>`` reuses a group) and reports, per variant, how many outputs
of the equations format add the step's number ("N + b = ...") and how many subtract it, greedy,
96 new tokens. Everything else in the prompt stays as it was, so a change in the counts is the
variant's doing:

    .venv/bin/python docs/experiments/sentence_variants.py MODEL FILE.jsonl PATTERN NAME=REPLACEMENT ... [--n 60]

The README's run ("Counterweights"), on paraphrase's pile sentence:

    .venv/bin/python docs/experiments/sentence_variants.py OUT11/model paraphrase.jsonl \\
        'The next morning (?P<name>\\w+) adds (?P<b>\\d+) (?P<item>[\\w ]+?) to the pile\\.' \\
        'as is=\\g<0>' 'to the jar=The next morning \\g<name> adds \\g<b> \\g<item> to the jar.' ...
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

from training.evaluate import greedy_batch


def variants(texts: list[str]) -> dict[str, str]:
    out = {}
    for text in texts:
        name, sep, replacement = text.partition("=")
        if not sep or not name:
            raise SystemExit(f"a variant is NAME=REPLACEMENT, got {text!r}")
        out[name] = replacement
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("file", type=Path)
    parser.add_argument("pattern")
    parser.add_argument("variants", nargs="+", help="NAME=REPLACEMENT (re.sub syntax)")
    parser.add_argument("--n", type=int, default=60, help="requests to use (the first that match)")
    args = parser.parse_args()
    pattern = re.compile(args.pattern)
    if "b" not in pattern.groupindex:
        raise SystemExit("PATTERN needs a group named b, the step's number: (?P<b>\\d+)")
    rows = [json.loads(line) for line in args.file.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if pattern.search(r["prompt"])][:args.n]
    if not rows:
        raise SystemExit(f"no prompt in {args.file} matches {args.pattern!r}")
    torch.set_num_threads(2)
    tok = PreTrainedTokenizerFast.from_pretrained(str(args.model))
    model = AutoModelForCausalLM.from_pretrained(str(args.model), dtype=torch.float32).eval()
    amounts = [pattern.search(r["prompt"]).group("b") for r in rows]
    print(f"{len(rows)} requests of {args.file.name}; per variant, outputs adding / subtracting the step's number")
    for name, replacement in variants(args.variants).items():
        outs = greedy_batch(model, tok, [pattern.sub(replacement, r["prompt"], count=1) for r in rows], 96)
        adds = sum(bool(re.search(rf"\d+ \+ {b} = ", o)) for o, b in zip(outs, amounts))
        subs = sum(bool(re.search(rf"\d+ - {b} = ", o)) for o, b in zip(outs, amounts))
        print(f"{name:24s} +{adds:4d}  -{subs:4d}", flush=True)


if __name__ == "__main__":
    main()
