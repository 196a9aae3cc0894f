"""Training resumes exactly from a checkpoint, and refuses another run's checkpoint."""

import re

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from inference.tokenizer import load_tokenizer
from training.train import Batches, TrainConfig, encode_corpus, train
from workloads import pycode

CFG = TrainConfig(steps=6, lr=3e-3, batch=4, code_batch=2, warmup=1, seed=5, code_window=32,
                  code_fraction=0.5)


def _model(vocab: int) -> LlamaForCausalLM:
    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(vocab_size=vocab, hidden_size=16, intermediate_size=32,
                                        num_hidden_layers=1, num_attention_heads=2,
                                        num_key_value_heads=2, max_position_embeddings=512))


@pytest.fixture(scope="module")
def stream(tiny_zoo_dir):
    tok = load_tokenizer(tiny_zoo_dir / "tokenizer")
    return tok, encode_corpus(tok, pycode.texts("train", max_bytes=20_000))


class _Killed(Exception):
    pass


def test_a_killed_run_resumes_to_the_same_weights_and_losses(stream, tmp_path):
    tok, code = stream
    straight = _model(len(tok))
    want = train(straight, Batches(tok, code, CFG), CFG, torch.device("cpu"))

    ckpt = tmp_path / "run.ckpt.pt"
    first = _model(len(tok))

    def die_after_four(step, row):
        if step == 4:
            raise _Killed

    with pytest.raises(_Killed):
        train(first, Batches(tok, code, CFG), CFG, torch.device("cpu"), die_after_four,
              checkpoint=ckpt, checkpoint_every=2)
    assert ckpt.exists()
    resumed = _model(len(tok))  # fresh weights: everything must come from the checkpoint
    got = train(resumed, Batches(tok, code, CFG), CFG, torch.device("cpu"),
                checkpoint=ckpt, checkpoint_every=2)
    assert [(r["kind"], r["tokens"]) for r in got] == [(r["kind"], r["tokens"]) for r in want]
    assert [r["loss"] for r in got] == pytest.approx([r["loss"] for r in want], rel=1e-4)
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)


def test_a_checkpoint_of_another_run_or_a_corrupt_one_is_refused(stream, tmp_path):
    tok, code = stream
    ckpt = tmp_path / "run.ckpt.pt"
    train(_model(len(tok)), Batches(tok, code, CFG), CFG, torch.device("cpu"),
          checkpoint=ckpt, checkpoint_every=2, checkpoint_key={"model": "a"})
    other = TrainConfig(**{**CFG.__dict__, "lr": 1e-3})
    with pytest.raises(ValueError, match="another run"):
        train(_model(len(tok)), Batches(tok, code, other), other, torch.device("cpu"),
              checkpoint=ckpt, checkpoint_key={"model": "a"})
    with pytest.raises(ValueError, match="another run"):
        train(_model(len(tok)), Batches(tok, code, CFG), CFG, torch.device("cpu"),
              checkpoint=ckpt, checkpoint_key={"model": "b"})
    ckpt.write_bytes(ckpt.read_bytes()[:100])
    with pytest.raises(ValueError, match="cannot be read"):
        train(_model(len(tok)), Batches(tok, code, CFG), CFG, torch.device("cpu"), checkpoint=ckpt)


def test_the_widened_curriculum_mixes_phrasings_into_the_word_problems(stream):
    from workloads import wordmath

    tok, code = stream
    wide = TrainConfig(**{**CFG.__dict__, "code_fraction": 0.0, "wide_fraction": 0.5, "batch": 64})
    batches = Batches(tok, code, wide)
    problems = batches._take_problems(512)
    def told_by_phrasings(problem) -> bool:  # a template problem always names one of its people
        return not set(re.findall(r"[A-Z][a-z]+", problem.question)) & set(wordmath.NAMES)

    assert 0.4 < sum(map(told_by_phrasings, problems)) / len(problems) < 0.6
    # templates only by default: no phrasings problem at all
    plain = Batches(tok, code, TrainConfig(**{**CFG.__dict__, "code_fraction": 0.0}))._take_problems(256)
    assert not any(map(told_by_phrasings, plain))
    with pytest.raises(ValueError, match="wide_fraction"):
        TrainConfig(**{**CFG.__dict__, "wide_fraction": 1.5})


def test_a_killed_widened_run_resumes_mid_pool(stream, tmp_path):
    """A checkpoint regenerates the mixed pool from its seed: the resumed stream is the same."""
    tok, code = stream
    wide = TrainConfig(**{**CFG.__dict__, "wide_fraction": 0.6})
    a = Batches(tok, code, wide)
    for _ in range(3):
        a.next()
    b = Batches(tok, code, wide)
    b.load_state_dict(a.state_dict())
    for _ in range(4):
        (ka, ia, la), (kb, ib, lb) = a.next(), b.next()
        assert ka == kb and torch.equal(ia, ib) and torch.equal(la, lb)


def test_the_equations_format_trains_on_equations_only(stream):
    """`solution_format="equations"`: the labelled tokens are the equations solution, never the
    restated sentences; an unknown format is refused before any step."""
    tok, code = stream
    cfg = TrainConfig(**{**CFG.__dict__, "code_fraction": 0.0, "wide_fraction": 0.5,
                         "solution_format": "equations"})
    kind, ids, labels = Batches(tok, code, cfg).next()
    assert kind == "wordmath"
    for row, lab in zip(ids, labels):
        target = tok.decode(row[lab != -100].tolist(), skip_special_tokens=True)
        assert target.startswith(" Start with ") and ", so " not in target, target
    with pytest.raises(ValueError, match="solution_format='latex'"):
        TrainConfig(**{**CFG.__dict__, "solution_format": "latex"})


def test_the_wide_vocabulary_reaches_the_batches_and_the_held_out_one_is_refused(stream):
    """`vocabulary="wide"`: the word problems carry `lexicon`'s verbs ("wider": `lexicon2`'s too,
    "paired": `lexicon3`'s too); "held-out" (the probe of transfer to unseen verbs) is never trained on."""
    from workloads import vocabularies

    tok, code = stream
    texts = {}
    for vocabulary in ("core", "wide", "wider", "paired"):
        cfg = TrainConfig(**{**CFG.__dict__, "code_fraction": 0.0, "wide_fraction": 1.0, "vocabulary": vocabulary})
        batches = Batches(tok, code, cfg)
        texts[vocabulary] = " ".join(tok.decode(ids.tolist(), skip_special_tokens=True)
                                     for _ in range(10) for ids in batches.next()[1])
    lexicon_only = vocabularies.words(" ".join(vocabularies.WIDE_ADD + vocabularies.WIDE_SUB)) - vocabularies._CORE_WORDS
    assert len(vocabularies.words(texts["wide"]) & lexicon_only) > 20
    assert len(vocabularies.words(texts["core"]) & lexicon_only) < 5  # made-up words may spell one
    second_only = vocabularies.words(" ".join(vocabularies.WIDER_ADD + vocabularies.WIDER_SUB)) - lexicon_only - vocabularies._CORE_WORDS
    assert len(vocabularies.words(texts["wider"]) & second_only) > 20
    assert len(vocabularies.words(texts["wide"]) & second_only) < 5
    # the third batch's pairs reuse everyday words, so it is told by its frames' longest literal
    # runs ("from {P} own bag into the jar on" -> " own bag into the jar on ") found in no earlier frame
    earlier = " ".join(vocabularies.WIDER_ADD + vocabularies.WIDER_SUB)
    runs = {max(re.split(r"\{\w+\}", f), key=len) for f in vocabularies.PAIRED_ADD + vocabularies.PAIRED_SUB
            if f not in earlier}
    runs = {r for r in runs if len(r.split()) >= 3 and r not in earlier}
    drawn = {v: sum(r in texts[v] for r in runs) for v in texts}
    # (10 small batches hold a few dozen step sentences; an earlier vocabulary's may contain a run by chance)
    assert len(runs) > 200 and drawn["paired"] >= 4 and max(drawn["core"], drawn["wide"], drawn["wider"]) <= 1, drawn
    with pytest.raises(ValueError, match="vocabulary='held-out'"):
        TrainConfig(**{**CFG.__dict__, "vocabulary": "held-out"})
