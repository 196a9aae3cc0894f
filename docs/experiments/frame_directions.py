"""Which of `paraphrase`'s sentence frames a model reads the right way, from a cloud-only eval.

`fedhybrid eval --out DIR` keeps each request's cloud-only output in DIR/eval.json. For a file
written by `fedhybrid workload make paraphrase`, every sentence between the opening and the
question is one of the generator's frames: an add, a take-away or equal groups. Outputs in the
equations format ("Start with 53. 53 + 42 = 95. 95 - 9 = 86. ...") give one step per sentence
("k * m = x and ..." for groups), so the i-th step's operation says how the i-th sentence was
read. Prints, per frame, how often its operation was right (a step missing counts as wrong):

    .venv/bin/python docs/experiments/frame_directions.py DIR/eval.json FILE.jsonl [paraphrase|unseen-verbs|HELDOUT_FILE_SET]

The third argument names the generator the file came from (`fedhybrid workload make`'s kind, or
`heldout_file.py`'s set name; default paraphrase). Ends with one line per operation: how often its frames were read right.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import heldout_file  # beside this script

from workloads import paraphrase, phrasings

# the `fedhybrid workload make` kinds, and every set `heldout_file.py` writes
GENERATORS = {"paraphrase": paraphrase.FRAMES, "unseen-verbs": phrasings.UNSEEN_VERBS, **heldout_file.SETS}


def frames_of(generator: paraphrase.Frames) -> list[tuple[str, str]]:
    return ([(t, "+") for t in generator.add] + [(t, "-") for t in generator.sub]
            + [(t, "groups") for t in generator.groups])


def patterns_of(frames: list[tuple[str, str]]) -> list[tuple[str, str, re.Pattern]]:
    return [(frame, op, pattern)
            for (frame, op), pattern in zip(frames, phrasings.frame_patterns(tuple(f for f, _ in frames), numbers=True))]


def wanted(prompt: str, patterns: list[tuple[str, str, re.Pattern]]) -> list[tuple[str, str]] | None:
    """(frame, operation) per step sentence; None when a sentence's operation is unclear."""
    body = prompt.split("Q: ", 1)[1]
    sentences = re.split(r"(?<=[.?])\s+", body)[1:-2]  # drop the opening, the question and "A:"
    out = []
    for sentence in sentences:
        hits = [(frame, op) for frame, op, pattern in patterns if pattern.fullmatch(sentence)]
        # slots match any text, so a short frame can fit a longer one's sentence ("misplaces {b}
        # {item}." fits "misplaces 5 of Rosa's mangoes at the park."): the longest is the one
        # drawn, and a sentence whose fitting frames disagree on the operation is not counted
        if not hits or len({op for _, op in hits}) > 1:
            return None
        out.append(max(hits, key=lambda hit: len(hit[0])))
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


def main(eval_json: Path, workload: Path, generator: str = "paraphrase") -> None:
    frames = frames_of(GENERATORS[generator])
    patterns = patterns_of(frames)
    prompts = {}
    with workload.open() as fh:
        for line in fh:
            record = json.loads(line)
            prompts[record["id"]] = record["prompt"]
    right, seen, skipped = Counter(), Counter(), 0
    for request in json.loads(eval_json.read_text())["requests"]:
        want = wanted(prompts[request["id"]], patterns)
        if want is None:
            skipped += 1
            continue
        got = read(request["cloud_only"])
        for i, (frame, op) in enumerate(want):
            seen[frame] += 1
            right[frame] += i < len(got) and got[i] == op
    for frame, op in frames:
        share = right[frame] / seen[frame] if seen[frame] else float("nan")
        print(f"{op:>6} {right[frame]:4d}/{seen[frame]:<4d} {share:6.1%}  {frame}")
    for kind in ("+", "-", "groups"):
        r = sum(right[f] for f, op in frames if op == kind)
        n = sum(seen[f] for f, op in frames if op == kind)
        print(f"{kind:>6} {r:4d}/{n:<4d} {r / n if n else float('nan'):6.1%}  (all {kind} frames)")
    if skipped:
        print(f"{skipped} requests skipped: a sentence fitted no frame, or frames of two operations")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or len(sys.argv) == 4 and sys.argv[3] not in GENERATORS:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:])
