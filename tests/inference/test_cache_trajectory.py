"""What a request teaches the cache: the cloud's own answer up to the first token the cloud would
not have written, nothing after it, and (`DecodeConfig.settle`) the tokens no escalation scored."""

import pytest

from inference.automaton_index import ServeRule
from inference.cloud import LocalCloud
from inference.decoder import HybridDecoder
from inference.device_cache import DeviceCache
from inference.generation import DecodeConfig, Provenance, answer_digest
from inference.router import make_policy
from tests.inference.test_cache_serving import _header
from workloads import wordmath

CFG = DecodeConfig(max_new_tokens=24)
RULE = ServeRule(min_match=3, confidence=0.9)
WIDTH = CFG.correction_context


def _cloud_greedy(cloud_model, ids: list[int], output: list[int]) -> list[int]:
    """The cloud's greedy choice at every output position of `ids + output`, in one pass."""
    truth = LocalCloud(cloud_model).predict("truth", ids + output, len(ids), 1, 30.0)
    return [score.greedy for score in truth.positions]


def _diverging_prompt(device, cloud_model, tok, policy, cfg):
    """A prompt whose output holds a device token the cloud disagrees with, followed by scored
    device tokens (positions before the last escalation) and an escalation after it."""
    for seed in range(20, 80):
        ids = tok(wordmath.generate("heldout", 1, seed=seed)[0].prompt)["input_ids"]
        gen = HybridDecoder(device, tok, LocalCloud(cloud_model)).generate(ids, policy, cfg)
        greedy = _cloud_greedy(cloud_model, ids, gen.token_ids)
        bad = [i for i, (g, t) in enumerate(zip(greedy, gen.token_ids)) if g != t]
        clouds = [i for i, p in enumerate(gen.provenance) if p is Provenance.CLOUD]
        if bad and clouds and any(bad[0] < i < clouds[-1] and gen.provenance[i] is Provenance.DEVICE
                                  for i in range(len(gen.token_ids))):
            return ids, gen, greedy, bad[0], clouds[-1]
    raise AssertionError("no prompt in the seed range makes the tiny device diverge before an escalation")


def _expected(ids, gen, greedy, first_bad, scored_before):
    """Records in decode order: escalation answers always; observations of scored device tokens
    only up to and including the first divergence (there: the cloud's token)."""
    full = ids + gen.token_ids
    out = []
    for i, prov in enumerate(gen.provenance):
        ctx = tuple(full[max(0, len(ids) + i - WIDTH): len(ids) + i])
        if prov is Provenance.CLOUD:
            out.append((ctx, full[len(ids) + i]))
        elif i < scored_before and i <= first_bad:
            out.append((ctx, greedy[i]))
    return out


def test_nothing_is_learnt_from_the_text_after_the_first_token_the_cloud_disagrees_with(pair, tiny_zoo):
    """What the cloud says after a token it would not have written continues a text it would not
    have written: a prompt's entries would replay it against the cloud's own answer."""
    device, cloud_model, tok = pair
    policy = make_policy("confidence", 0.6)
    ids, plain, greedy, first_bad, last_call = _diverging_prompt(device, cloud_model, tok, policy, CFG)
    cache = DeviceCache(_header(tiny_zoo), "dev-1", RULE)
    gen = HybridDecoder(device, tok, LocalCloud(cloud_model), cache=cache).generate(ids, policy, CFG)
    assert gen.token_ids == plain.token_ids and gen.provenance == plain.provenance  # learning changes no output
    got = [(c.context, c.token) for c in gen.corrections]
    assert got == _expected(ids, gen, greedy, first_bad, last_call)
    # the test means something: scored device tokens after the divergence were left out
    skipped = [i for i in range(first_bad + 1, last_call) if gen.provenance[i] is Provenance.DEVICE]
    assert skipped
    assert (tuple((ids + gen.token_ids)[len(ids) + first_bad - WIDTH: len(ids) + first_bad]),
            greedy[first_bad]) in got  # the divergence itself is the correction learnt


def test_settle_scores_the_unchecked_tokens_once_and_the_recurrence_replays_the_cloud(pair, tiny_zoo):
    device, cloud_model, tok = pair
    policy = make_policy("slm-only")
    settle = DecodeConfig(max_new_tokens=24, settle=True)
    for seed in range(20, 80):
        ids = tok(wordmath.generate("heldout", 1, seed=seed)[0].prompt)["input_ids"]
        plain = HybridDecoder(device, tok, LocalCloud(cloud_model)).generate(ids, policy, CFG)
        greedy = _cloud_greedy(cloud_model, ids, plain.token_ids)
        bad = [i for i, (g, t) in enumerate(zip(greedy, plain.token_ids)) if g != t]
        if bad and 3 <= bad[0] < len(plain.token_ids) - 2:
            first_bad = bad[0]
            break
    else:
        raise AssertionError("no prompt in the seed range makes the tiny device diverge mid-answer")
    cache = DeviceCache(_header(tiny_zoo), "dev-1", RULE)
    decoder = HybridDecoder(device, tok, LocalCloud(cloud_model), cache=cache)
    gen = decoder.generate(ids, policy, settle)
    assert gen.token_ids == plain.token_ids and gen.count(Provenance.CLOUD) == 0  # the answer is the device's
    assert gen.settled and gen.cloud_calls == 1 and gen.cloud_tokens_computed == len(ids) + len(gen.token_ids)
    assert [(c.context, c.token) for c in gen.corrections] == _expected(ids, gen, greedy, first_bad,
                                                                       len(gen.token_ids))
    again = decoder.generate(ids, policy, CFG)  # the recurrence: the cloud's answer up to the divergence
    assert again.token_ids[: first_bad + 1] == greedy[: first_bad] + [greedy[first_bad]]
    assert again.provenance[first_bad] is Provenance.CACHE and again.cloud_calls == 0


def test_an_answer_is_settled_once(pair, tiny_zoo):
    """The cloud would score the same answer the same way: a second settle would learn nothing."""
    device, cloud_model, tok = pair
    ids = tok(wordmath.generate("heldout", 1, seed=22)[0].prompt)["input_ids"]
    decoder = HybridDecoder(device, tok, LocalCloud(cloud_model), cache=DeviceCache(_header(tiny_zoo), "d", RULE))
    settle, settled = DecodeConfig(max_new_tokens=12, settle=True), set()
    first = decoder.generate(ids, make_policy("slm-only"), settle, record=False, settled=settled)
    assert first.settled and first.cloud_calls == 1 and settled == {answer_digest(ids, first.token_ids)}
    again = decoder.generate(ids, make_policy("slm-only"), settle, record=False, settled=settled)
    assert again.token_ids == first.token_ids and not again.settled and again.cloud_calls == 0
    other = tok(wordmath.generate("heldout", 1, seed=23)[0].prompt)["input_ids"]  # another answer: settled
    assert decoder.generate(other, make_policy("slm-only"), settle, record=False, settled=settled).settled
    assert len(settled) == 2


def test_settle_calls_nobody_when_every_token_was_the_clouds(pair, tiny_zoo):
    device, cloud_model, tok = pair
    ids = tok(wordmath.generate("heldout", 1, seed=21)[0].prompt)["input_ids"]
    decoder = HybridDecoder(device, tok, LocalCloud(cloud_model), cache=DeviceCache(_header(tiny_zoo), "d", RULE))
    gen = decoder.generate(ids, make_policy("cloud-only"), DecodeConfig(max_new_tokens=12, settle=True))
    assert not gen.settled and gen.cloud_calls == len(gen.token_ids) == gen.count(Provenance.CLOUD)


def test_settle_without_a_cloud_leaves_the_request_alone(pair, tiny_zoo):
    device, _, tok = pair
    ids = tok(wordmath.generate("heldout", 1, seed=21)[0].prompt)["input_ids"]
    decoder = HybridDecoder(device, tok, None, cache=DeviceCache(_header(tiny_zoo), "d", RULE))
    gen = decoder.generate(ids, make_policy("slm-only"), DecodeConfig(max_new_tokens=12, settle=True))
    assert not gen.settled and gen.cloud_calls == 0 and not gen.corrections


@pytest.mark.parametrize("settle", [False, True])
def test_a_failed_settle_changes_nothing(pair, tiny_zoo, broken_cloud, settle):
    """A cloud that is down at the end: the answer stands, nothing is learnt, nothing raised."""
    device, _, tok = pair
    ids = tok(wordmath.generate("heldout", 1, seed=21)[0].prompt)["input_ids"]
    decoder = HybridDecoder(device, tok, broken_cloud, cache=DeviceCache(_header(tiny_zoo), "d", RULE))
    gen = decoder.generate(ids, make_policy("slm-only"), DecodeConfig(max_new_tokens=12, settle=settle))
    assert not gen.settled and not gen.corrections and gen.cloud_failures == int(settle)


def test_an_answer_the_cloud_agreed_with_is_learnt_again_without_a_call(pair, tiny_zoo):
    """With the device's own model as the cloud, a settle finds the answer all agreed: the next
    round (a fresh `settled`) learns exactly what a settle would, without asking; an answer the
    cloud disagreed with is never taken for agreed."""
    device, cloud_model, tok = pair
    ids = tok(wordmath.generate("heldout", 1, seed=22)[0].prompt)["input_ids"]
    settle = DecodeConfig(max_new_tokens=12, settle=True)
    decoder = HybridDecoder(device, tok, LocalCloud(device), cache=DeviceCache(_header(tiny_zoo), "d", RULE))
    agreed: set[int] = set()
    first = decoder.generate(ids, make_policy("slm-only"), settle, record=False, settled=set(), agreed=agreed)
    assert first.settled and agreed == {answer_digest(ids, first.token_ids)}
    again = decoder.generate(ids, make_policy("slm-only"), settle, record=False, settled=set(), agreed=agreed)
    assert again.relearnt and not again.settled and again.cloud_calls == 0
    assert [(c.context, c.token) for c in again.corrections] == [(c.context, c.token) for c in first.corrections]
    other = HybridDecoder(device, tok, LocalCloud(cloud_model), cache=DeviceCache(_header(tiny_zoo), "d", RULE))
    none: set[int] = set()
    gen = other.generate(ids, make_policy("slm-only"), settle, record=False, settled=set(), agreed=none)
    assert gen.settled and not none  # the real cloud disagrees with the tiny device
