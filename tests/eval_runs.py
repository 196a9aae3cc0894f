"""What the `fedhybrid eval` command tests share: a held-out wordmath workload file and the
command line that evaluates it with the confidence policy (tiny zoo, a few tokens)."""

import json

from fedhybrid.cli import main
from workloads import wordmath


def wordmath_workload(path, seed: str, n: int = 3):
    """`n` held-out word problems drawn with `seed`, one JSONL request each (id q<i>, answer)."""
    with path.open("w") as f:
        for i, p in enumerate(wordmath.generate("heldout", n, seed=seed)):
            f.write(json.dumps({"id": f"q{i}", "prompt": p.prompt, "answer": str(p.answer)}) + "\n")
    return path


def run_eval(zoo, workload, out, *extra, max_new_tokens: int = 6) -> int:
    """`fedhybrid eval` of `workload` into `out`: edge device, confidence 0.5, stop at a newline."""
    return main(["--zoo", str(zoo), "eval", "--workload", str(workload), "--device", "edge", "--policies",
                 "confidence", "--thresholds", "0.5", "--max-new-tokens", str(max_new_tokens), "--stop", "\\n",
                 "--out", str(out), *extra])
