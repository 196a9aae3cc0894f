"""Replay nodes: recorded from a real run, replayed through the real ServerApp/ClientApp path."""

from pathlib import Path

import msgpack
import pytest

from cache_sync.correction_cache import CacheHeader
from cache_sync.durable import read_checked, write_checked
from cache_sync.merge import Delta
from fedhybrid.bench.scale import fleet_tiers
from fedhybrid.engines import run_inprocess
from fleet.errors import FleetError
from fleet.replay import ReplayCorpus, ReplayNode

TIERS = ("client", "edge", "iot")


def _config(zoo, state_dir, **over):
    cfg = {"num-rounds": 2, "zoo": str(zoo), "state-dir": str(state_dir), "queries-per-round": 2,
           "max-new-tokens": 16, "local-steps": 1, "release-k": 2, "fleet-tiers": "client,edge,iot"}
    cfg.update(over)
    return cfg


@pytest.fixture(scope="module")
def corpus(replay_corpus) -> Path:
    return replay_corpus


@pytest.fixture(scope="module")
def header(tiny_zoo_dir) -> CacheHeader:
    from inference.zoo import Zoo

    zoo = Zoo(tiny_zoo_dir)
    return CacheHeader(zoo.tokenizer_hash, int(zoo.manifest["vocab_size"]), 2, 8)


def test_a_recording_run_writes_every_node_and_round(corpus, header):
    names = sorted(p.relative_to(corpus).as_posix() for p in corpus.glob("*/*.msgpack"))
    assert names == [f"{t}/{t}-{i}-r{r}.msgpack" for i, t in enumerate(TIERS) for r in (1, 2)]
    loaded = ReplayCorpus.load(corpus, header)
    assert sorted(loaded.by_tier) == list(TIERS) and all(len(v) == 2 for v in loaded.by_tier.values())


def test_replayed_fleet_larger_than_the_recording_runs_every_node_deterministically(tiny_zoo_dir, corpus,
                                                                                    tmp_path):
    tiers = fleet_tiers(TIERS, 7)
    runs = [run_inprocess(_config(tiny_zoo_dir, tmp_path / name, **{"replay-dir": str(corpus), "fleet-tiers": tiers}))
            for name in ("a", "b")]
    for record in runs[0].history:
        assert len(record["nodes"]) == 7 and not record["dropped"]
        assert record["ingest"]["merged"] == 7 and not record["ingest"]["rejected"]  # sealed, opened, merged
        assert all(m["replayed"] == 1.0 for m in record["nodes"].values())
        assert set(record["phases"]) >= {"configure_s", "exchange_s", "aggregate_s", "ingest_s", "release_s"}
    assert runs[0].history[0]["phases"]["save_s"] > 0  # filled in from the next round's file
    # devices seen by more than release-k devices are released: support comes from the recording
    assert runs[0].history[-1]["release"]["released"] > 0
    assert runs[0].state_hash() == runs[1].state_hash()


def test_each_device_and_round_gets_its_own_resample(corpus, header):
    loaded = ReplayCorpus.load(corpus, header)
    a, b = ReplayNode(loaded, "edge-1", "edge"), ReplayNode(loaded, "edge-4", "edge")
    one, again, other = a.reply(3, 4, None), a.reply(3, 4, None), b.reply(3, 4, None)
    assert one.delta == again.delta and one.delta != other.delta
    delta = Delta.from_bytes(one.delta, header)
    assert (delta.device_id, delta.seq, delta.round) == ("edge-1", 3, 3) and len(delta.table) > 0
    assert all(v.shape[1] == 4 for v in one.adapter.values())


def _copy(corpus: Path, dest: Path) -> Path:
    for path in corpus.glob("*/*.msgpack"):
        (dest / path.parent.name).mkdir(parents=True, exist_ok=True)
        (dest / path.parent.name / path.name).write_bytes(path.read_bytes())
    return dest


def test_a_damaged_recording_is_refused_by_name(corpus, header, tmp_path):
    folder = _copy(corpus, tmp_path / "c")
    victim = folder / "edge" / "edge-1-r2.msgpack"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x10
    victim.write_bytes(bytes(data))
    with pytest.raises(FleetError, match="edge-1-r2.msgpack"):
        ReplayCorpus.load(folder, header)


def test_a_recording_of_another_tokenizer_or_tier_folder_is_refused(corpus, header, tmp_path):
    other = CacheHeader("another-tokenizer", header.vocab_size, header.n_min, header.n_max)
    with pytest.raises(FleetError, match="does not fit this fleet"):
        ReplayCorpus.load(corpus, other)
    folder = _copy(corpus, tmp_path / "c")
    moved = folder / "iot" / "edge-1-r1.msgpack"
    moved.write_bytes((folder / "edge" / "edge-1-r1.msgpack").read_bytes())
    with pytest.raises(FleetError, match="of tier 'edge' but lies under iot/"):
        ReplayCorpus.load(folder, header)


def test_a_corpus_without_the_tier_or_recordings_says_how_to_record(corpus, header, tmp_path):
    folder = _copy(corpus, tmp_path / "c")
    for path in (folder / "iot").glob("*"):
        path.unlink()
    loaded = ReplayCorpus.load(folder, header)
    with pytest.raises(FleetError, match="no recording of tier 'iot'"):
        ReplayNode(loaded, "iot-2", "iot")
    with pytest.raises(FleetError, match="holds no recordings"):
        ReplayCorpus.load(tmp_path / "c" / "iot", header)
    with pytest.raises(FleetError, match="does not exist"):
        ReplayCorpus.load(tmp_path / "nowhere", header)


def test_a_checksummed_file_that_is_not_a_recording_is_refused(corpus, header, tmp_path):
    folder = _copy(corpus, tmp_path / "c")
    write_checked(folder / "edge" / "edge-9-r1.msgpack", msgpack.packb({"device": "edge-9"}))
    with pytest.raises(FleetError, match="edge-9-r1.msgpack is not a recording"):
        ReplayCorpus.load(folder, header)
    assert read_checked(folder / "edge" / "edge-1-r1.msgpack")  # the others are untouched


def test_a_replayed_fleet_forgets_its_private_entries_and_keeps_releasing(tiny_zoo_dir, corpus, tmp_path):
    """Through the real apps: with forget-after, the server's table stops growing with the
    replay nodes' private n-grams; without it, it grows every round. Releases go on."""
    tiers = fleet_tiers(TIERS, 9)
    runs = {after: run_inprocess(_config(tiny_zoo_dir, tmp_path / f"f{after}", **{
        "replay-dir": str(corpus), "fleet-tiers": tiers, "num-rounds": 4, "forget-after": after}))
        for after in (0, 1)}
    kept = [r["release"]["global_entries"] for r in runs[0].history]
    bounded = [r["release"]["global_entries"] for r in runs[1].history]
    assert kept == sorted(kept) and kept[-1] > kept[0]  # never forgets: grows
    assert all(r["release"]["forgotten"] == 0 for r in runs[0].history)
    assert sum(r["release"]["forgotten"] for r in runs[1].history[1:]) > 0 and bounded[-1] < kept[-1]
    assert all(r["release"]["released"] > 0 for r in runs[1].history)


def test_bench_fed_nodes_measures_a_replay_fleet_with_keys_of_its_own(tiny_zoo_dir, corpus, tmp_path, capfd):
    """`bench fed --nodes` and `--secure-aggregation` (fedhybrid/bench/scale.py): the measured
    fleet's servers are given a key-dir, which a server never fills itself, so the bench makes
    the fleet's keys as `fedhybrid keys init` would (every run was refused for want of them)."""
    from fedhybrid.bench.scale import run_sizes, secagg_compare

    rc = _config(tiny_zoo_dir, tmp_path / "unused", **{"replay-dir": str(corpus)})
    (result,) = run_sizes(rc, [4], 1, tmp_path / "work")
    assert result["nodes"] == 4 and [r["replies"] for r in result["rows"]] == [4]
    assert sorted(p.name for p in (tmp_path / "work" / "keys-4" / "devices").glob("*.pub")) == sorted(
        f"{t}-{i}.pub" for i, t in enumerate(("client", "edge", "iot", "client")))
    # 12 nodes, three of each family left once a quarter crash mid-round (one per family)
    compared = secagg_compare(rc, 12, 1, 0.25, tmp_path / "work")
    assert [r["mode"] for r in compared["rows"]] == ["plain", "secagg"]
    assert all(r["replies"] == 9 for r in compared["rows"])
    assert compared["max_abs_diff"] <= 1e-6 * max(1.0, compared["max_abs_value"])
    assert "4 nodes, round 1" in capfd.readouterr().out  # each size runs in a process of its own
