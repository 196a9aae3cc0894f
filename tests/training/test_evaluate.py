"""Offline evaluation decodes every prompt as it would alone, and answers in the prompts' order."""

from inference.zoo import load_causal_lm
from training.evaluate import greedy_batch
from workloads import paraphrase, wordmath


def test_greedy_batch_answers_each_prompt_in_order_as_if_alone(tiny_zoo):
    model, tok = load_causal_lm("cloud", tiny_zoo)
    # short templates and long paraphrases interleaved: length batching reorders them internally
    short = [p.prompt for p in wordmath.generate("heldout", 4, seed=5, min_steps=1, max_steps=1)]
    long = [p.prompt for p in paraphrase.generate(4, seed=5)]
    prompts = [p for pair in zip(long, short) for p in pair]
    assert len({len(tok(p)["input_ids"]) for p in prompts}) > 4
    alone = [greedy_batch(model, tok, [p], 12)[0] for p in prompts]
    assert greedy_batch(model, tok, prompts, 12, batch=3) == alone
    assert greedy_batch(model, tok, [], 12) == []
