"""Settling a recurring question's answer (`DecodeConfig.settle`), at the end of its request.

The reward head accepts device tokens no escalation ever scores; on a question asked before, a
wrong one would come back at every recurrence. Settling has the top of the escalation chain
score those tokens in one call, recorded like any observation (up to the first disagreement),
so the cache learns the cloud's answer and replays it next time; the answer sent stays as it is.

Two memories bound the calls (both keyed by `answer_digest`, kept by the caller):
- `settled`: answers settled already (per round): the cloud would score them the same way;
- `agreed`: answers a settle found to be the cloud's own, token for token: recorded again with no
  call (exactly what a settle would record). Not recording them at all was measured to cost
  accuracy on make demo: their counts keep the prompt's entries ranked under the tier's budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inference.generation import Provenance, answer_digest

if TYPE_CHECKING:
    from inference.decode_run import DecodeRun


def settle_answer(run: DecodeRun, settled: set[int] | None, agreed: set[int] | None) -> None:
    """Settle `run`'s finished answer if it holds tokens no cloud call scored (caller: the decoder)."""
    if not (run.observe and run.unchecked and run.stopped_at is None):
        return
    digest = answer_digest(run.tokens[:run.prompt_len], run.tokens[run.prompt_len:])
    if agreed is not None and digest in agreed:
        _relearn(run)
    elif settled is None or digest not in settled:
        prediction = run._ask_cloud(max(1, run.scored_upto), top=True)
        if prediction is None:
            return
        run.gen.settled = True
        run._observe(prediction)
        if settled is not None:
            settled.add(digest)
        if agreed is not None and run.diverged is None and not run.unchecked:
            agreed.add(digest)


def _relearn(run: DecodeRun) -> None:
    """Record what a settle of an agreed answer would (every token from the first unscored one,
    as the cloud's own choice), with no call."""
    for position in range(max(run.prompt_len, run.scored_upto), len(run.tokens)):
        if run._prov(position) is not Provenance.CLOUD:
            run._record(position, run.tokens[position], run.tokens[position])
    run.scored_upto = len(run.tokens)
    run.unchecked = False
    run.gen.relearnt = True
