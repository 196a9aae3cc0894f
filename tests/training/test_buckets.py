"""Length buckets give the padded batch's loss and gradient, and cut the padding they promise."""

import json

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from fedhybrid.cli import main
from inference.tokenizer import load_tokenizer
from training import buckets
from training.errors import TrainingError
from training.train import IGNORE, encode_problems
from workloads import phrasings, wordmath


def _model(vocab: int) -> LlamaForCausalLM:
    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64,
                                        num_hidden_layers=2, num_attention_heads=2,
                                        num_key_value_heads=2, max_position_embeddings=512))


def _grad(model) -> torch.Tensor:
    flat = torch.cat([p.grad.flatten() for p in model.parameters()])
    model.zero_grad(set_to_none=True)
    return flat


@pytest.fixture(scope="module")
def batch(tiny_zoo_dir):
    tok = load_tokenizer(tiny_zoo_dir / "tokenizer")
    # one- to five-step stories beside one-step templates: rows of very different lengths
    stories = phrasings.generate(10, seed="buckets")
    problems = wordmath.in_format(stories + wordmath.generate("train", 6, seed=3, min_steps=1, max_steps=1),
                                  "equations")
    ids, labels = encode_problems(tok, problems)
    return tok, ids, labels


def test_the_buckets_give_the_padded_batch_loss_and_gradient(batch):
    tok, ids, labels = batch
    lengths = buckets.row_lengths(labels)
    assert max(lengths) == ids.shape[1] and min(lengths) < ids.shape[1] // 2  # padding to cut
    model = _model(len(tok))
    loss = model(input_ids=ids, labels=labels).loss
    loss.backward()
    padded = float(loss.detach())
    want = _grad(model)
    for max_parts in (1, 3, 6):
        got = buckets.backward(model, ids, labels, max_parts)
        assert got == pytest.approx(padded, rel=1e-5)
        torch.testing.assert_close(_grad(model), want, rtol=1e-4, atol=1e-6)


def test_the_plan_takes_every_row_once_and_cuts_the_padded_grid(batch):
    labels = batch[2]
    lengths = buckets.row_lengths(labels)
    for max_parts in (1, 2, 4, 6):
        groups = buckets.plan(lengths, max_parts)
        assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
        assert 1 <= len(groups) <= max_parts
        grid = sum(len(g) * max(lengths[i] for i in g) for g in groups)
        if max_parts == 1:
            assert grid == len(lengths) * max(lengths)
        else:
            assert grid < len(lengths) * max(lengths)
    # the cheapest cut, and rows of one length stay one batch (a pycode batch is not split)
    assert buckets.plan([1, 1, 1, 10], 2) == [[0, 1, 2], [3]]
    assert buckets.plan([8, 8, 8, 8], 6) == [[0, 1, 2, 3]]
    assert buckets.plan([], 3) == []


def test_a_row_without_labels_has_length_zero_and_bad_input_is_refused(batch):
    tok, ids, labels = batch
    labels = labels.clone()
    labels[0] = IGNORE
    assert buckets.row_lengths(labels)[0] == 0
    model = _model(len(tok))
    with pytest.raises(TrainingError, match="differ in shape"):
        buckets.backward(model, ids[:, :-1], labels)
    with pytest.raises(TrainingError, match="no label tokens"):
        buckets.backward(model, ids, torch.full_like(labels, IGNORE))
    with pytest.raises(TrainingError, match="max_parts=0"):
        buckets.plan([3, 4], 0)
    with pytest.raises(TrainingError, match=r"\(batch, time\)"):
        buckets.row_lengths(labels[0])
    assert all(p.grad is None for p in model.parameters())  # nothing accumulated by a refused batch


def test_bench_train_prints_a_table_and_writes_json(tiny_zoo_dir, tmp_path, capsys):
    out_json = tmp_path / "train.json"
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "train", "--models", "edge", "--batches", "2",
                 "--json", str(out_json)]) == 0
    (row,) = json.loads(out_json.read_text())
    assert row["name"] == "edge" and row["batches"] == 2 and row["max_parts"] == buckets.MAX_PARTS
    assert 0 < row["grid_filled"] < 1 and row["padded_s"] > 0 and row["buckets_s"] > 0
    assert row["grad_rel_diff"] < 1e-4
    assert "padded vs length buckets" in capsys.readouterr().out
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "train", "--models", "nope"]) == 2
    assert "nope: not a model of the zoo" in capsys.readouterr().err
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "train", "--max-parts", "0"]) == 2
    assert "--max-parts (0) must be at least 1" in capsys.readouterr().err
