import torch

from serving.prefix_engine import PrefixEngine


def _reference_logprobs(model, ids):
    with torch.no_grad():
        lp = torch.log_softmax(model(torch.tensor([ids])).logits[0], -1)
    return [None] + [float(lp[i - 1, ids[i]]) for i in range(1, len(ids))], int(lp[-1].argmax())


def test_interleaved_devices_each_reuse_their_own_prefix(pair):
    _, cloud, tok = pair
    engine = PrefixEngine(cloud)
    seqs = [tok("Q: Ava has 12 apples. She buys 5 more.")["input_ids"],
            tok("Q: Liam has 30 pears. He eats 7 of them.")["input_ids"]]
    for round_ in range(3):
        for seq in seqs:
            result = engine.complete(seq, 1, 5, echo=False)
            if round_:
                assert result.tokens_computed == 2  # the two tokens appended since last time
            seq.extend([result.generated[0], 7])


def test_echo_logprobs_are_exact_after_reuse_and_rollback(pair):
    _, cloud, tok = pair
    engine = PrefixEngine(cloud)
    ids = tok("Q: Mia had 40 shells. She gives 12 to Omar.")["input_ids"]
    engine.complete(ids, 3, 5, echo=True)
    rolled = ids[:-3] + [11, 12, 13]  # diverges three tokens before the end
    result = engine.complete(rolled, 1, 5, echo=True)
    assert result.tokens_reused >= len(ids) - 4
    expected, greedy = _reference_logprobs(cloud, rolled)
    assert result.prompt_token_logprobs[0] is None
    for got, want in zip(result.prompt_token_logprobs[1:], expected[1:]):
        assert abs(got - want) < 1e-4
    assert result.generated[0] == greedy


def test_pool_is_bounded(pair):
    _, cloud, _tok = pair
    engine = PrefixEngine(cloud, max_entries=3, max_cached_tokens=10_000)
    for i in range(6):
        engine.complete([5 + i, 6, 7, 8], 1, 1, echo=False)
    assert len(engine._pool) == 3 and engine.stats["evictions"] == 3
