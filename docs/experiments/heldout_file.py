"""Write a workload file (JSONL, README "Workload files") of one of the experiment phrasings, so
`fedhybrid eval --workload` measures it like `workload make paraphrase`:

    .venv/bin/python docs/experiments/heldout_file.py SET N OUT.jsonl [SEED]

SET is one of `SETS` below (fresh, blind, blind2, blind3, blind4, blind5, paraphrase-past,
blind2-present).
"""

from __future__ import annotations

import sys
from pathlib import Path

import blind2_phrasing  # beside this script
import blind3_phrasing
import blind4_phrasing
import blind5_phrasing
import blind_phrasing
import fresh_phrasing
import tense_phrasing

from workloads import paraphrase
from workloads.files import write_jsonl

SETS = {"fresh": fresh_phrasing.FRAMES, "blind": blind_phrasing.FRAMES,
        "blind2": blind2_phrasing.FRAMES, "blind3": blind3_phrasing.FRAMES, "blind4": blind4_phrasing.FRAMES,
        "blind5": blind5_phrasing.FRAMES,
        "paraphrase-past": tense_phrasing.PARAPHRASE_PAST,
        "blind2-present": tense_phrasing.BLIND2_PRESENT}

if __name__ == "__main__":
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in SETS or not sys.argv[2].isdigit():
        sys.exit(f"usage: heldout_file.py {'|'.join(SETS)} N OUT.jsonl [SEED]")
    name, n, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    problems = paraphrase.generate(n, sys.argv[4] if len(sys.argv) == 5 else "eval", SETS[name])
    write_jsonl(out, [{"id": f"{name}-{i}", "prompt": p.prompt, "answer": str(p.answer)}
                      for i, p in enumerate(problems)])
    print(f"wrote {len(problems)} {name} requests to {out}")
