"""Write a workload file (JSONL, README "Workload files") of one of the experiment phrasings, so
`fedhybrid eval --workload` measures it like `workload make paraphrase`:

    .venv/bin/python docs/experiments/heldout_file.py fresh|blind N OUT.jsonl [SEED]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import blind_phrasing  # beside this script
import fresh_phrasing

SETS = {"fresh": fresh_phrasing, "blind": blind_phrasing}

if __name__ == "__main__":
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in SETS or not sys.argv[2].isdigit():
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    name, n, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    problems = SETS[name].generate(n, seed=sys.argv[4] if len(sys.argv) == 5 else "eval")
    with out.open("w") as f:
        for i, p in enumerate(problems):
            f.write(json.dumps({"id": f"{name}-{i}", "prompt": p.prompt, "answer": str(p.answer)}) + "\n")
    print(f"wrote {len(problems)} {name} requests to {out}")
