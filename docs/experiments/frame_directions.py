"""Which of `paraphrase`'s sentence frames a model reads the right way, from a cloud-only eval.

`fedhybrid eval --out DIR` keeps each request's cloud-only output in DIR/eval.json. For a file
written by `fedhybrid workload make paraphrase`, every sentence between the opening and the
question is one of the generator's frames: an add, a take-away or equal groups. Outputs in the
equations format ("Start with 53. 53 + 42 = 95. 95 - 9 = 86. ...") give one step per sentence
("k * m = x and ..." for groups), so the i-th step's operation says how the i-th sentence was
read. Prints, per frame, how often its operation was right (a step missing counts as wrong):

    .venv/bin/python docs/experiments/frame_directions.py DIR/eval.json FILE.jsonl
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from workloads import paraphrase, phrasings

FRAMES = ([(t, "+") for t in paraphrase._ADD] + [(t, "-") for t in paraphrase._SUB]
          + [(t, "groups") for t in paraphrase._GROUPS])
PATTERNS = [(frame, op, pattern)
            for (frame, op), pattern in zip(FRAMES, phrasings.frame_patterns(tuple(f for f, _ in FRAMES)))]


def wanted(prompt: str) -> list[tuple[str, str]] | None:
    """(frame, operation) per step sentence; None when a sentence matches no single frame."""
    body = prompt.split("Q: ", 1)[1]
    sentences = re.split(r"(?<=[.?])\s+", body)[1:-2]  # drop the opening, the question and "A:"
    out = []
    for sentence in sentences:
        hits = [(frame, op) for frame, op, pattern in PATTERNS if pattern.fullmatch(sentence)]
        if len(hits) != 1:
            return None
        out.append(hits[0])
    return out


def read(output: str) -> list[str]:
    """The operation of each step of an equations-format output, in order."""
    ops = []
    for step in re.split(r"\.\s", output.split("Start with", 1)[-1]):
        if re.search(r"\d+ \* \d+ = \d+ and", step):
            ops.append("groups")
        elif match := re.search(r"\d+ *([-+]) *\d+ *=", step):
            ops.append(match.group(1))
    return ops


def main(eval_json: Path, workload: Path) -> None:
    prompts = {}
    with workload.open() as fh:
        for line in fh:
            record = json.loads(line)
            prompts[record["id"]] = record["prompt"]
    right, seen, skipped = Counter(), Counter(), 0
    for request in json.loads(eval_json.read_text())["requests"]:
        want = wanted(prompts[request["id"]])
        if want is None:
            skipped += 1
            continue
        got = read(request["cloud_only"])
        for i, (frame, op) in enumerate(want):
            seen[frame] += 1
            right[frame] += i < len(got) and got[i] == op
    for frame, op in FRAMES:
        share = right[frame] / seen[frame] if seen[frame] else float("nan")
        print(f"{op:>6} {right[frame]:4d}/{seen[frame]:<4d} {share:6.1%}  {frame}")
    if skipped:
        print(f"{skipped} requests skipped: a sentence matched no single frame")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
