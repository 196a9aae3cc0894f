"""Issue 14 experiment (not part of the shipped build): continue the shipped cloud model on a
solution format that does not restate the question.

The widening stage (`zoo build --only cloud --widen`) teaches the worked format, in which every
sentence of the question is copied before its step is computed; the widened model did not copy
unfamiliar sentences and reached 1.5% on `paraphrase` (README, "Widening the cloud's
curriculum"). Here every solution is written as equations only, each number taken from the
question ("Start with 60. 60 - 15 = 45. 45 + 45 = 90. The answer is 90."), on the same mix of
problems: wordmath's templates (1 - wide share) and `workloads/phrasings.py` (wide share), which
shares no name, item or sentence frame with `paraphrase`. No pycode batches (the run measures
the word problems only). Probes: 100 held-out problems each of `paraphrase` (seed "zoo-eval",
as `bench models`), wordmath's held-out templates, unseen `phrasings`, and two more held-out
phrasings beside this script (`fresh_phrasing.py`, `blind_phrasing.py`), greedy, 96 new
tokens, graded by the last number of the output.

    .venv/bin/python docs/experiments/equations_widening.py OUT STEPS LR WIDE [PROBE_EVERY [INIT FIRST_POOL]]
        [--vocabulary core|wide|wider|paired|tensed|balanced|wide-cues|tensed-leads|tensed-leads-cues]
    # the README's runs: OUT1 800 5e-4 0.6 200, then OUT2 300 2.5e-4 0.6 100 OUT1/model 13
    # (continued from the first run's model on fresh problems: it drew pools 0-12)
    # then, after the cued and composed frames: OUT3 600 2.5e-4 0.6 100 OUT2/model 20 (the cloud)
    # and EDGE 300 1e-3 0.6 100 zoo/edge 40 (the edge on the same format, for routing)
    # then, as the build's cloud stage would start: OUT6 1000 5e-4 0.6 250 (from the shipped cloud)
    # then with `workloads/lexicon.py`'s everyday verbs: OUT7 800 2.5e-4 0.6 200 OUT6/model 40 --vocabulary wide
    # then with `workloads/lexicon2.py`'s second batch too: OUT8 600 2.5e-4 0.6 200 OUT7/model 60 --vocabulary wider
    # then with `workloads/lexicon3.py`'s pairs too: OUT9 600 2.5e-4 0.6 200 OUT8/model 80 --vocabulary paired
    # then with every lexicon frame in either tense: OUT10 300 2.5e-4 0.6 100 OUT9/model 100 --vocabulary tensed
    # then with `workloads/lexicon4.py`'s counterweights: OUT11 400 2.5e-4 0.6 200 OUT10/model 120 --vocabulary balanced
    # then, with length buckets, one stage from the shipped cloud: OUT13 1200 5e-4 0.6 300 zoo/cloud 0 --vocabulary wide
    # then the same stage on "wide-cues": OUT14 1200 5e-4 0.6 300 zoo/cloud 0 --vocabulary wide-cues
    # and, continued on every lexicon frame in either tense: OUT15 600 2.5e-4 0.6 200 OUT14/model 20 --vocabulary tensed
    # and 400 more at a lower rate: OUT16 400 1.5e-4 0.6 200 OUT15/model 30 --vocabulary tensed
    # then with `workloads/leads.py`'s openers: OUT17 800 2.5e-4 0.6 200 OUT16/model 40 --vocabulary tensed-leads
    # and 600 more at a lower rate: OUT18 600 1.5e-4 0.6 200 OUT17/model 60 --vocabulary tensed-leads
    # then with `workloads/lexicon5.py`'s cue counterweights back in: OUT19 600 1.5e-4 0.6 200 OUT18/model 80 --vocabulary tensed-leads-cues
    # and the same from OUT18 with 80% phrasings: OUT20 600 1.5e-4 0.8 300 OUT18/model 80 --vocabulary tensed-leads-cues

INIT is the model to continue (default: the shipped zoo's cloud), FIRST_POOL the first pool of
problems drawn (2,048 a pool), --vocabulary the `phrasings` vocabulary its wide share is drawn
from (default core; a sixth probe, "unseen_verbs", tells every step with `lexicon`'s held-out
frames, whose verbs no vocabulary trains on; a seventh, "blind2", is `blind2_phrasing.py`'s,
from OUT10 on; an eighth, "blind3", `blind3_phrasing.py`'s, from OUT11 on; a ninth, "blind4",
`blind4_phrasing.py`'s, from OUT15 on). Writes OUT/probes.jsonl (one line per probe, with the
first output of each set) and OUT/model (a Hugging Face folder with the tokenizer: `fedhybrid
eval --cloud OUT/model`).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import blind2_phrasing  # beside this script
import blind3_phrasing
import blind4_phrasing
import blind_phrasing
import fresh_phrasing
import torch
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

from training import buckets
from training.evaluate import greedy_batch
from training.train import TrainConfig, encode_problems, lr_at
from workloads import paraphrase, phrasings, vocabularies, wordmath
from workloads.graders import last_number

ZOO_CLOUD = Path(__file__).resolve().parents[2] / "zoo" / "cloud"
BATCH, WARMUP, POOL = 32, 50, 2048

def pool(index: int, wide: float, vocabulary: str = "core") -> list[wordmath.Problem]:
    n_wide = round(POOL * wide)
    problems = wordmath.generate("train", POOL - n_wide, seed=50_000 + index, max_steps=4) if n_wide < POOL else []
    problems += phrasings.generate(n_wide, seed=50_000 + index, vocabulary=vocabulary) if n_wide else []
    random.Random(index).shuffle(problems)
    return wordmath.in_format(problems, "equations")


def main(out: Path, steps: int, lr: float, wide: float, probe_every: int, init: Path = ZOO_CLOUD,
         first_pool: int = 0, vocabulary: str = "core") -> None:
    torch.set_num_threads(2)
    hf_logging.disable_progress_bar()  # one bar per model load is noise in the run's log
    torch.manual_seed(0)
    out.mkdir(parents=True, exist_ok=True)
    tok = PreTrainedTokenizerFast.from_pretrained(str(ZOO_CLOUD))
    model = LlamaForCausalLM.from_pretrained(str(init), dtype=torch.float32)
    probes = {"paraphrase": paraphrase.generate(100, seed="zoo-eval"),
              "templates": wordmath.generate("heldout", 100, seed=777),
              "phrasings": phrasings.generate(100, seed="eqfmt-heldout"),
              "fresh": paraphrase.generate(100, "heldout", fresh_phrasing.FRAMES),
              "blind": paraphrase.generate(100, "heldout", blind_phrasing.FRAMES),
              "unseen_verbs": phrasings.generate(100, seed="eqfmt-heldout", vocabulary="held-out"),
              "blind2": paraphrase.generate(100, "heldout", blind2_phrasing.FRAMES),
              "blind3": paraphrase.generate(100, "heldout", blind3_phrasing.FRAMES),
              "blind4": paraphrase.generate(100, "heldout", blind4_phrasing.FRAMES)}

    def probe(step: int) -> None:
        model.eval()
        started, row = time.time(), {"step": step}
        for name, problems in probes.items():
            outs = greedy_batch(model, tok, [p.prompt for p in problems], 96)
            row[name] = sum(last_number(o) == p.answer for p, o in zip(problems, outs)) / len(problems)
            row[name + "_ex"] = outs[0][:300]
        row["probe_s"] = round(time.time() - started, 1)
        model.train()
        with open(out / "probes.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps({k: v for k, v in row.items() if not k.endswith("_ex")}), flush=True)

    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95))
    schedule = TrainConfig(steps=steps, lr=lr, warmup=WARMUP)  # warm-up, then cosine decay to lr / 10
    probe(0)
    model.train()
    queue: list[wordmath.Problem] = []
    pools, started = first_pool, time.time()
    for step in range(steps):
        while len(queue) < BATCH:
            queue += pool(pools, wide, vocabulary)
            pools += 1
        batch, queue = queue[:BATCH], queue[BATCH:]
        ids, labels = encode_problems(tok, batch)  # loss on the solution only
        for group in opt.param_groups:
            group["lr"] = lr_at(step, schedule)
        loss = buckets.backward(model, ids, labels)  # the padded batch's gradient, in length buckets
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if step % 25 == 0:
            print(f"step {step} loss {loss:.4f} {time.time() - started:.0f}s", flush=True)
        if (step + 1) % probe_every == 0 or step + 1 == steps:
            probe(step + 1)
            model.save_pretrained(out / "model")
            tok.save_pretrained(out / "model")
    print("train_s", round(time.time() - started, 1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("steps", type=int)
    parser.add_argument("lr", type=float)
    parser.add_argument("wide", type=float)
    parser.add_argument("probe_every", type=int, nargs="?", default=200)
    parser.add_argument("init", type=Path, nargs="?", default=ZOO_CLOUD)
    parser.add_argument("first_pool", type=int, nargs="?", default=0)
    parser.add_argument("--vocabulary", choices=vocabularies.TRAINABLE, default="core")
    a = parser.parse_args()
    main(a.out, a.steps, a.lr, a.wide, a.probe_every, a.init, a.first_pool, a.vocabulary)
