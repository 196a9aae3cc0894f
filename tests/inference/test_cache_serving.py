import dataclasses
import random

import numpy as np
import pytest

from cache_sync.correction_cache import CacheHeader, CountTable
from inference.automaton_index import NO_SERVE, AutomatonIndex, ServeRule
from inference.cloud import LocalCloud
from inference.decoder import HybridDecoder
from inference.device_cache import DeviceCache, index_from_table
from inference.errors import InferenceError
from inference.generation import DecodeConfig, Provenance
from inference.router import make_policy
from inference.tokenizer import number_token_ids
from workloads import wordmath

CFG = DecodeConfig(max_new_tokens=24)


def _header(zoo, n_max=8):
    return CacheHeader(zoo.tokenizer_hash, int(zoo.manifest["vocab_size"]), 2, n_max)


@pytest.mark.parametrize("backend", ["python", "c"])
def test_automaton_finds_the_longest_stored_suffix_like_brute_force(backend):
    from inference import automaton_index

    if backend == "c" and automaton_index._native is None:
        pytest.skip("the C automaton is not built here")
    rng = random.Random(0)
    vocab, width = 6, 5
    stored = {}
    for _ in range(300):
        ctx = tuple(rng.randrange(vocab) for _ in range(rng.randint(1, width)))
        stored[ctx] = rng.choice([NO_SERVE, 0, 1, 2, 3, 4, 5])
    keys = list(stored)
    rows = np.full((len(keys), width), -1, dtype=np.int64)
    for i, ctx in enumerate(keys):
        rows[i, : len(ctx)] = ctx
    index = AutomatonIndex(rows, np.array([len(k) for k in keys]), np.array([stored[k] for k in keys]), vocab,
                           backend=backend)
    assert index.backend == backend
    text = [rng.randrange(vocab) for _ in range(3000)]
    for i, token in enumerate(text):
        index.advance(token)
        expected, row = NO_SERVE, -1
        for n in range(min(width, i + 1), 0, -1):
            ctx = tuple(text[i + 1 - n: i + 1])
            if ctx in stored:
                expected, row = stored[ctx], keys.index(ctx)
                break
        assert index.decision() == expected and index.matched_row() == row
    assert index.state_after(text[-5:]) == AutomatonIndex(
        rows, np.array([len(k) for k in keys]), np.array([stored[k] for k in keys]), vocab,
        backend="python").state_after(text[-5:])


def test_serve_rule_needs_length_confidence_and_precision():
    header = CacheHeader("h" * 64, 100, 2, 4)
    rows = [([1, 2, 3], 9)] * 9 + [([1, 2, 3], 8)]  # 90% share for 9
    rows += [([4, 5, 6], 7)] * 3 + [([4, 5, 6], 6)] * 2  # 60%: ambiguous
    rows += [([7, 8], 5)] * 5  # only two tokens of context
    table = CountTable.from_corrections(header, rows, "dev", 0)
    index, _, _ = index_from_table(table, ServeRule(min_match=3, confidence=0.9))
    for ctx, expected in (([0, 1, 2, 3], 9), ([4, 5, 6], NO_SERVE), ([0, 7, 8], NO_SERVE)):
        index.reset()
        index.feed(ctx)
        assert index.decision() == expected, ctx
    # the longest match decides: a confident short context does not override an ambiguous long one
    index.reset()
    index.feed([9, 4, 5, 6])
    assert index.decision() == NO_SERVE


def test_decoder_serves_recurring_text_from_cache(pair, tiny_zoo):
    device, cloud_model, tok = pair
    cache = DeviceCache(_header(tiny_zoo), "dev-1", ServeRule(min_match=3, confidence=0.9))
    dec = HybridDecoder(device, tok, LocalCloud(cloud_model), cache=cache)
    prompt = wordmath.generate("heldout", 1, seed=21)[0].prompt
    first = dec.generate(prompt, make_policy("cloud-only"), CFG)
    assert first.cache_share == 0 and first.cloud_share == 1
    assert cache.entries > 0
    second = dec.generate(prompt, make_policy("cloud-only"), CFG)
    assert second.token_ids == first.token_ids  # the cache serves the cloud's own tokens
    assert second.cache_share > 0.5
    assert second.cloud_calls < first.cloud_calls
    assert sum(second.count(p) for p in Provenance) == len(second.token_ids)


def test_cache_keeps_the_device_kv_cache_consistent(pair, tiny_zoo):
    device, cloud_model, tok = pair
    prompts = [p.prompt for p in wordmath.generate("heldout", 2, seed=22)]
    outputs = []
    for use_kv in (True, False):
        cache = DeviceCache(_header(tiny_zoo), "dev-1")
        dec = HybridDecoder(device, tok, LocalCloud(cloud_model), cache=cache, use_kv_cache=use_kv)
        run = []
        for prompt in prompts + prompts:  # second pass is served partly from cache
            gen = dec.generate(prompt, make_policy("confidence", 0.3), CFG)
            run.append((gen.token_ids, gen.provenance))
        outputs.append(run)
    assert outputs[0] == outputs[1]
    assert any(Provenance.CACHE in prov for _, prov in outputs[0])


def test_cloud_contradiction_lowers_precision_until_the_entry_stops_serving(pair, tiny_zoo):
    device, cloud_model, tok = pair
    header = _header(tiny_zoo)
    prompt = wordmath.generate("heldout", 1, seed=23)[0].prompt
    ids = tok(prompt)["input_ids"]
    cloud = LocalCloud(cloud_model)
    truth = HybridDecoder(device, tok, cloud).generate(ids, make_policy("cloud-only"), CFG).token_ids
    wrong = (truth[0] + 1) % header.vocab_size
    cache = DeviceCache(header, "dev-1", ServeRule(min_match=3, confidence=0.9, min_precision=0.5))
    cache.record([(ids[-8:], wrong)] * 3)  # a confident but wrong entry for the first answer token
    dec = HybridDecoder(device, tok, cloud, cache=cache)
    verify = DecodeConfig(max_new_tokens=24, verify=True)
    gen = dec.generate(ids, make_policy("cloud-only"), verify, record=False)
    assert gen.cache_contradictions >= 1 and gen.rollbacks >= 1
    assert gen.token_ids == truth  # verification repaired the bad cache token
    delta = cache.take_delta()
    assert delta.entries["wrong"].sum() >= 1 and delta.entries["served"].sum() >= 1
    again = dec.generate(ids, make_policy("cloud-only"), verify, record=False)
    assert again.cache_contradictions == 0
    assert again.token_ids == truth


def test_cache_budget_and_order_cap_apply_at_rebuild(tiny_zoo):
    header = _header(tiny_zoo, n_max=6)
    cache = DeviceCache(header, "iot-1", budget=5, max_order=3)
    rng = random.Random(1)
    cache.record([([rng.randrange(50) for _ in range(6)], rng.randrange(50)) for _ in range(20)])
    cache.rebuild()
    assert cache._global.contexts.shape[0] <= 5
    assert ((cache._global.contexts >= 0).sum(axis=1) <= 3).all()


def test_device_cache_rejects_updates_with_another_header(tiny_zoo):
    from cache_sync.errors import CacheError

    cache = DeviceCache(_header(tiny_zoo), "dev-1")
    other = CountTable(CacheHeader("0" * 64, int(tiny_zoo.manifest["vocab_size"]), 2, 8))
    with pytest.raises(CacheError, match="tokenizer_hash"):
        cache.apply_update(other, version=1)
    assert cache.version == 0


def test_a_cache_that_chains_into_a_cycle_stops_serving_and_the_model_takes_over(pair, tiny_zoo):
    device, cloud_model, tok = pair
    header = _header(tiny_zoo)
    ids = tok(wordmath.generate("heldout", 1, seed=24)[0].prompt)["input_ids"]
    a, b = tok("\n")["input_ids"][-1], tok("#")["input_ids"][-1]
    # degenerate entries: after the prompt serve `a`, then a and b alternate for ever
    seq = ids[-3:] + [a, b] * 5
    rows = [(seq[i: i + 3], seq[i + 3]) for i in range(len(seq) - 3)]
    cache = DeviceCache(header, "dev-1", ServeRule(min_match=3, confidence=0.9))
    cache.record(rows * 2)
    dec = HybridDecoder(device, tok, LocalCloud(cloud_model), cache=cache)
    gen = dec.generate(ids, make_policy("slm-only"), DecodeConfig(max_new_tokens=24), record=False)
    served = [t for t, p in zip(gen.token_ids, gen.provenance) if p is Provenance.CACHE]
    assert gen.cache_loops == 1
    assert len(served) == 5  # a, then (b a) twice: the third period is refused
    assert all(p is Provenance.DEVICE for p in gen.provenance[5:])  # no cache serve after the guard


def test_escalations_record_the_clouds_view_of_every_token_it_scored(pair, tiny_zoo):
    """Observations: the cloud's greedy choice at the tokens it ran since the last call,
    at no extra cloud compute; without verification a contradicted cache token is counted."""
    device, cloud_model, tok = pair
    header = _header(tiny_zoo)
    prompt = wordmath.generate("heldout", 1, seed=24)[0].prompt
    ids = tok(prompt)["input_ids"]
    policy = make_policy("confidence", 0.6)
    plain = HybridDecoder(device, tok, LocalCloud(cloud_model)).generate(ids, policy, CFG)
    cloud = LocalCloud(cloud_model)
    cache = DeviceCache(header, "dev-1", ServeRule(min_match=3, confidence=0.9))
    gen = HybridDecoder(device, tok, cloud, cache=cache).generate(ids, policy, CFG)
    assert gen.token_ids == plain.token_ids  # observing changes no output
    assert gen.cloud_tokens_computed == plain.cloud_tokens_computed  # and costs the cloud nothing
    full = ids + gen.token_ids
    last_call = max(len(ids) + i for i, p in enumerate(gen.provenance) if p is Provenance.CLOUD)
    device_positions = [len(ids) + i for i, p in enumerate(gen.provenance)
                        if p is Provenance.DEVICE and len(ids) + i < last_call]
    assert device_positions, "the test needs device tokens before an escalation"
    truth = cloud.predict("check", full, len(ids), 1, 30.0)
    expected = []  # in position order: observations, then each escalation's answer
    for i, prov in enumerate(gen.provenance):
        position = len(ids) + i
        if prov is Provenance.CLOUD or position < last_call:
            observed = prov is not Provenance.CLOUD
            cloud_token = truth.positions[i].greedy if observed else full[position]
            expected.append((tuple(full[max(0, position - 8): position]), cloud_token, observed, position))
    assert [(c.context, c.token) for c in gen.corrections] == [e[:2] for e in expected]
    for corr, (_, _, observed, position) in zip(gen.corrections, expected):
        if observed:  # an observation names the token the output holds there
            assert corr.device_token == full[position]
    assert len(expected) == len(device_positions) + gen.count(Provenance.CLOUD)

    # a cache-served token the cloud later scores differently is a contradiction, verify or not
    wrong = (truth.positions[0].greedy + 1) % header.vocab_size
    cache = DeviceCache(header, "dev-1", ServeRule(min_match=3, confidence=0.9))
    cache.record([(ids[-8:], wrong)] * 3)
    gen = HybridDecoder(device, tok, cloud, cache=cache).generate(ids, make_policy("cloud-only"), CFG,
                                                                 record=False)
    assert gen.provenance[0] is Provenance.CACHE and gen.cache_contradictions == 1
    assert cache.take_delta().entries["wrong"].sum() == 1


def test_a_popular_prompt_does_not_outvote_other_prompts_on_a_shared_context():
    """Per prompt the anchored entries serve; across prompts, distinct prompts vote."""
    header = CacheHeader("h" * 64, 100, 2, 8)
    cache = DeviceCache(header, "dev-1", ServeRule(min_match=3, confidence=0.9, min_count=2,
                                                    prompt_min_match=3))
    popular, rare, new, third = ([1, 1], [2, 2], [3, 3], [4, 4])
    shared = [10, 11, 12, 13]  # "so 49 - 36 = 13." in both problems, continued differently
    for _ in range(20):
        cache.record([(shared, 20)], anchor=cache.anchor_of(popular))
    cache.record([(shared, 21)] * 2, anchor=cache.anchor_of(rare))
    arithmetic = [30, 31, 32]  # "3 * 9 =": the same continuation in every prompt
    for prompt in (popular, rare, third):
        cache.record([(arithmetic, 40)], anchor=cache.anchor_of(prompt))

    def serve(prompt, text):
        cache.begin(prompt + text, anchor=cache.anchor_of(prompt))
        return cache.serve()

    assert serve(popular, shared) == 20  # its own recurring text
    assert serve(rare, shared) == 21
    assert serve(new, shared) is None  # 20 counts vs 2, but one prompt against one
    assert serve(new, arithmetic) == 40  # three prompts agree
    # without anchors the popular prompt's counts would have decided for everyone
    flat = DeviceCache(header, "dev-2", ServeRule(min_match=3, confidence=0.9, min_count=2))
    flat.record([(shared, 20)] * 20 + [(shared, 21)] * 2)
    flat.begin(new + shared)
    assert flat.serve() == 20


def test_a_digit_serves_only_from_the_longest_stored_context():
    """"25 oranges to Clara, so 2" -> "9" must not answer "2 oranges to Clara, so 2" through
    their shared shorter suffix; a word may, and the digit's own full context still does."""
    header = CacheHeader("h" * 64, 100, 2, 8)
    digits = frozenset(range(10))  # this toy vocabulary's digit ids
    oranges_to_clara_so = [50, 51, 52, 53, 54]
    seen = [1] + oranges_to_clara_so + [2]  # "...5 oranges to Clara, so 2" (7 tokens: n_max - 1)
    other = [3] + oranges_to_clara_so + [2]  # the same 6-token suffix after another number
    word = [60, 61, 62, 63, 64, 65, 66]

    def served(rule, prompt, text):
        cache = DeviceCache(header, "dev-1", rule)
        anchor = cache.anchor_of(prompt)
        cache.record([(seen, 9)] * 2 + [(word, 70)] * 2, anchor=anchor)
        cache.begin(prompt + text, anchor=anchor)
        return cache.serve()

    plain = ServeRule(min_match=6, confidence=0.9, min_count=2, prompt_min_match=6)
    strict = dataclasses.replace(plain, number_tokens=digits)
    prompt = [80, 81]
    assert served(plain, prompt, other) == 9  # the ambiguity this rule removes
    assert served(strict, prompt, other) is None
    assert served(strict, prompt, seen) == 9  # the recurring text itself still serves its digit
    assert served(strict, prompt, [99] + word[1:]) == 70  # a word needs only prompt_min_match

    # across prompts (no anchor), the longest context is n_max tokens
    cache = DeviceCache(header, "dev-2", dataclasses.replace(strict, min_count=1))
    cache.record([([7] + seen, 9)])
    cache.begin([8] + seen)
    assert cache.serve() is None
    cache.begin([7] + seen)
    assert cache.serve() == 9


def test_a_digit_needs_only_the_orders_a_tier_keeps():
    """A tier that keeps shorter contexts than the header allows (iot: 6 of 8) still serves
    digits from its own longest order, rather than never."""
    header = CacheHeader("h" * 64, 100, 2, 8)
    rule = ServeRule(min_match=3, confidence=0.9, prompt_min_match=3, number_tokens=frozenset({9}))
    cache = DeviceCache(header, "iot-1", rule, max_order=6)
    prompt = [80, 81]
    anchor = cache.anchor_of(prompt)
    text = [10, 11, 12, 13, 14, 15, 16]
    cache.record([(text, 9)], anchor=anchor)
    cache.begin(prompt + text, anchor=anchor)
    assert cache.serve() == 9  # matched on 5 tokens: the longest an anchored iot context holds
    cache.begin(prompt + [99, 99, 99] + text[-4:], anchor=anchor)
    assert cache.serve() is None


def test_number_token_ids_are_the_tokens_that_spell_a_digit(pair):
    _, _, tok = pair
    ids = number_token_ids(tok)
    for text in ("2", " 2", "0", " 9"):
        (token,) = tok(text)["input_ids"]
        assert token in ids, text
    words = tok(" oranges to Clara, so")["input_ids"]
    assert not ids & set(words)
    assert all(any(c.isdecimal() for c in tok.decode([i])) for i in ids)


def test_serve_rule_refuses_number_tokens_that_are_not_ids():
    with pytest.raises(InferenceError, match="number_tokens"):
        ServeRule(number_tokens={1, 2})
    with pytest.raises(InferenceError, match="number_tokens"):
        ServeRule(number_tokens=frozenset({-1}))
