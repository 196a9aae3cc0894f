"""What reaches the agent's installed versions: an admin push or a round installs all it brings
or nothing, a cache update that does not open is refused (400 for a push, a logged and counted
refusal for a round), and versions that move back are said in the log."""

import httpx
import msgpack
import numpy as np
import pytest

from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from agent.wire import RoundRequest, encode_adapter
from cache_sync.correction_cache import CountTable
from cache_sync.versioned import VersionedView
from inference.lora import LoraSpec, attach, b_matrices
from inference.tokenizer import encode_prompt
from serving.http_app import HttpConfig
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=23)[0].prompt


def _adapter(engine, seed: int = 0) -> bytes:
    rank = engine.cfg.profile.lora_rank
    shapes = b_matrices(attach(engine.base, LoraSpec(rank, rank, engine.cfg.lora_seed)))
    rng = np.random.default_rng(seed)
    return encode_adapter({k: rng.normal(0, 1e-3, v.shape).astype(np.float32) for k, v in shapes.items()})


def _view(engine, versions: int = 1) -> VersionedView:
    """The server's view of the edge tier after `versions` publications (unsigned: no --key-dir)."""
    view, rng = VersionedView(engine.header), np.random.default_rng(versions)
    for _ in range(versions):
        pairs = [([int(x) for x in rng.integers(3, 60, size=3)], int(rng.integers(3, 60))) for _ in range(8)]
        view.publish(view.table.upsert(CountTable.from_corrections(engine.header, pairs, "x", view.version + 1)))
    return view


@pytest.fixture
def admin(make_agent, serve_app):
    engine = make_agent("edge-4", policy="slm-only")
    runner = RoundRunner(engine)
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, runner, HttpConfig(), token)) as url:
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/msgpack"}

        def install(**fields) -> httpx.Response:
            return httpx.post(f"{url}/admin/v1/install", content=msgpack.packb(fields, use_bin_type=True),
                              headers=auth, timeout=60)

        def identity() -> dict:
            return httpx.get(f"{url}/admin/v1/identity", headers=auth).json()

        yield engine, runner, install, identity


def test_an_install_whose_cache_update_is_unusable_is_refused_and_installs_nothing(admin):
    engine, _, install, identity = admin
    before = identity()
    assert (before["adapter_version"], before["cache_version"], before["round"]) == (0, 0, 0)
    foreign = _view(engine).diff(0, "iot").to_bytes()  # the iot view, this device is edge
    ahead = _view(engine, 3).diff(2, "edge").to_bytes()  # a diff from version 2: we hold version 0
    cases = [({"round": 7, "cache_update": b"junk bytes"}, "cache update of round 7 is unusable"),
             ({"round": 7, "adapter": _adapter(engine), "cache_update": b"junk bytes"}, "is unusable"),
             ({"round": 7, "cache_update": foreign}, "the view of tier 'iot', this device is 'edge'"),
             ({"round": 7, "cache_update": ahead}, "a diff from version 2, which does not apply to the installed version 0"),
             ({"round": 7}, "nothing to install"),
             ({"round": 7, "adapter": _adapter(engine), "cache-update": b"x"}, "'cache-update'"),
             ({"round": "7", "adapter": _adapter(engine)}, "round='7' must be an integer >= 1")]
    for body, reason in cases:
        resp = install(**body)
        assert resp.status_code == 400, (body, resp.text)
        message = resp.json()["error"]["message"]
        assert message.startswith("install refused: ") and reason in message, message
    assert identity() == before and engine.swaps == 0
    assert engine.journal.blob("adapter") is None and engine.journal.blob("released") is None
    # the same adapter and a cache update that opens: both installed, the round moved
    good = install(round=7, adapter=_adapter(engine), cache_update=_view(engine).diff(0, "edge").to_bytes())
    assert good.status_code == 200, good.text
    assert good.json() == {"adapter_version": 7, "cache_version": 1, "swaps": 1}
    assert (identity()["round"], len(engine.released)) == (7, 16)


def test_a_stale_cache_diff_is_refused_by_an_install_and_skipped_by_a_round(admin, caplog):
    """A diff (not a whole view) to a version below the installed one can only be stale or
    replayed: applied, it would mix its rows into a newer table and move the version back."""
    engine, runner, install, identity = admin
    view = _view(engine, 3)
    assert install(round=3, cache_update=view.diff(0, "edge").to_bytes()).status_code == 200
    stale = _view(engine, 2).diff(1, "edge").to_bytes()  # 1 -> 2, applied to version 3
    resp = install(round=4, cache_update=stale)
    assert resp.status_code == 400 and "older than the installed version 3" in resp.json()["error"]["message"]
    with caplog.at_level("WARNING", logger="fedhybrid.agent"):
        reply = runner.run(RoundRequest(round=4, adapter=None, cache_update=stale, local_steps=0))
    assert reply.cache_version == 3 and reply.metrics["cache-refused"] == 1.0
    assert "edge-4: cache update of round 4 is a diff to version 2, older than" in caplog.text
    assert identity()["cache_version"] == 3


def test_a_round_whose_cache_update_is_unusable_installs_its_adapter_and_says_so(make_agent, caplog):
    """A round is not refused for its cache update: the uploads and the adapter still go (the
    server's next round sends a diff from the version the reply reports); the reply's metrics
    carry the refusal so the server's round record shows it, not only this device's log."""
    engine = make_agent("edge-4", policy="slm-only")
    runner = RoundRunner(engine)
    with caplog.at_level("WARNING", logger="fedhybrid.agent"):
        reply = runner.run(RoundRequest(round=2, adapter=_adapter(engine), cache_update=b"junk", local_steps=0))
    assert reply.metrics["cache-refused"] == 1.0 and reply.cache_version == 0
    assert engine.adapter_version == 2 and engine.round == 2
    assert "edge-4: cache update of round 2 is unusable" in caplog.text and "keeping cache version 0" in caplog.text
    ok = runner.run(RoundRequest(round=3, adapter=None, cache_update=_view(engine).diff(0, "edge").to_bytes(),
                                 local_steps=0))
    assert "cache-refused" not in ok.metrics and ok.cache_version == 1


def test_a_round_with_a_bad_adapter_changes_nothing_not_even_the_acks(make_agent, run_job):
    engine = make_agent("edge-4", policy="cloud-only", threshold=None)  # corrections to upload
    runner = RoundRunner(engine)
    run_job(engine, encode_prompt(engine.tokenizer, PROMPT), max_tokens=4)
    first = runner.run(RoundRequest(round=1, adapter=None, cache_update=None, local_steps=0))
    assert first.delta_seqs == [1] and [u.seq for u in engine.journal.pending_uploads()] == [1]
    from agent.errors import AgentError

    with pytest.raises(AgentError, match="adapter bytes are malformed"):
        runner.run(RoundRequest(round=2, adapter=b"junk", cache_update=None, acked=[1], threshold=0.9))
    assert [u.seq for u in engine.journal.pending_uploads()] == [1]  # not confirmed by a refused round
    assert engine.round == 1 and engine.default_threshold is None  # the round's threshold not taken either


def test_versions_that_move_back_are_logged_naming_old_and_new(admin, caplog):
    """A new server run starts again at round 1 (and sends a device ahead of it its whole view),
    so versions may move back; a stale or replayed message does the same, so it is said."""
    engine, runner, install, identity = admin
    assert install(round=9, adapter=_adapter(engine), adapter_version=9,
                   cache_update=_view(engine, 3).diff(0, "edge").to_bytes()).status_code == 200
    with caplog.at_level("WARNING", logger="fedhybrid.agent"):
        runner.run(RoundRequest(round=10, adapter=_adapter(engine, 1), cache_update=None, local_steps=0))
        assert "moves back" not in caplog.text  # forward: nothing to say
        whole = _view(engine, 1).whole("edge").to_bytes()  # a new run's view: version 1, replaces ours
        runner.run(RoundRequest(round=1, adapter=_adapter(engine, 2), cache_update=whole, local_steps=0))
    assert (identity()["round"], identity()["adapter_version"], identity()["cache_version"]) == (1, 1, 1)
    assert ("edge-4: this install moves back round 10 -> 1, adapter version 10 -> 1, cache version 3 -> 1"
            in caplog.text)
    assert "a new server run" in caplog.text and "stale or replayed" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="fedhybrid.agent"):
        assert install(adapter=_adapter(engine, 3), adapter_version=5).status_code == 200
        assert install(adapter=_adapter(engine, 4), adapter_version=2).status_code == 200
    assert identity()["adapter_version"] == 2
    assert caplog.text.count("moves back") == 1 and "moves back adapter version 5 -> 2" in caplog.text


def _b_shapes(engine, rank: int) -> dict:
    return {k: v.shape for k, v in b_matrices(attach(engine.base, LoraSpec(rank, rank, engine.cfg.lora_seed))).items()}


def test_an_adapter_that_is_not_exactly_this_models_is_refused_and_installs_nothing(admin):
    """An empty adapter (b"\\x80", an empty msgpack map) was installed as adapter version 1 and
    kept across restarts: the base model served as a new version. An adapter must hold exactly
    this model's LoRA tensors, at their shapes for the tier's rank, finite."""
    engine, runner, install, identity = admin
    before = identity()
    good = {k: np.full(v, 1e-3, np.float32) for k, v in _b_shapes(engine, engine.cfg.profile.lora_rank).items()}
    first = min(good)
    nan = dict(good, **{first: np.full(good[first].shape, np.nan, np.float32)})
    tall = dict(good, **{first: np.zeros((good[first].shape[0] + 1, good[first].shape[1]), np.float32)})
    rank4 = {k: np.zeros(v, np.float32) for k, v in _b_shapes(engine, 4).items()}  # the iot tier's rank
    negative = msgpack.packb({first: [[-1, 8], b"\0" * 4 * 8 * 8]}, use_bin_type=True)
    cases = [(b"\x80", "the adapter does not fit this device's model: it holds no tensors; this model's rank-8"),
             (encode_adapter({**good, "model.layers.9.self_attn.q_proj.lora_B.weight": good[first]}),
              "it names 1 tensor(s) this model's adapter does not have: 'model.layers.9.self_attn.q_proj.lora_B.weight'"),
             (encode_adapter({k: v for k, v in good.items() if k != first}),
              f"it lacks 1 of the {len(good)} tensors this model's adapter has: {first!r}"),
             (encode_adapter(rank4), "the adapter is of rank 4, this device's tier has rank 8"),
             (encode_adapter(tall), f"tensor {first!r} has shape {tall[first].shape}, this model's needs"),
             (encode_adapter(nan), "holds NaN or Inf"),
             (negative, "two integers >= 1 are needed"),
             # a whole peft adapter (its own A beside B): a newcomer's was refused as "another model's"
             (encode_adapter({**good, first.replace("lora_B", "lora_A"): np.zeros((8, 4), np.float32)}),
              "it carries 1 LoRA A tensor(s)")]
    for adapter, reason in cases:
        resp = install(round=2, adapter=adapter)
        assert resp.status_code == 400, (reason, resp.text)
        message = resp.json()["error"]["message"]
        assert message.startswith("install refused: ") and reason in message, message
    assert identity() == before and engine.swaps == 0 and engine.journal.blob("adapter") is None
    # a round's adapter takes the same check: the round is refused before anything changes
    from agent.errors import AgentError

    with pytest.raises(AgentError, match="does not fit this device's model: it holds no tensors"):
        runner.run(RoundRequest(round=2, adapter=b"\x80", cache_update=None, local_steps=0))
    with pytest.raises(AgentError, match="the adapter is of rank 4"):
        runner.run(RoundRequest(round=2, adapter=encode_adapter(rank4), cache_update=None, local_steps=0))
    assert identity() == before and engine.journal.blob("adapter") is None
    # this model's own adapter installs, by either path
    assert install(round=2, adapter=encode_adapter(good)).json()["adapter_version"] == 2
    runner.run(RoundRequest(round=3, adapter=_adapter(engine, 5), cache_update=None, local_steps=0))
    assert identity()["adapter_version"] == 3


def test_an_empty_adapter_an_older_agent_installed_is_not_served_at_the_next_start(make_agent, caplog):
    engine = make_agent("edge-4", policy="slm-only")
    engine.journal.put_blobs({"adapter": (b"\x80", 1)}, {"round": 1})  # what the push left before the check
    with caplog.at_level("ERROR", logger="fedhybrid.agent"):
        again = make_agent("edge-4", state_dir=engine.cfg.state_dir, policy="slm-only")
    assert again.adapter is None and again.current.adapter_version == 0 and again.current.model is again.base
    assert ("edge-4: the installed adapter is damaged or does not fit (the adapter does not fit this device's "
            "model: it holds no tensors" in caplog.text)


def test_an_admin_body_that_is_not_the_message_says_what_to_send(make_agent, serve_app):
    """`{}` as a round got "malformed RoundRequest (TypeError: RoundRequest.__init__() missing 3
    required positional arguments...)", a body that is not msgpack "(FormatError: )"."""
    engine = make_agent("edge-9", policy="slm-only")
    token = write_token(engine.cfg.token_path)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/msgpack"}
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(), token)) as url:
        def post(route: str, body: bytes) -> str:
            resp = httpx.post(f"{url}/admin/v1/{route}", content=body, headers=auth, timeout=60)
            assert resp.status_code == 400, resp.text
            return resp.json()["error"]["message"]

        empty_round = post("round", msgpack.packb({}))
        assert empty_round.startswith("round refused: RoundRequest lacks field(s) round, adapter, cache_update: "
                                      "send a msgpack map (not JSON) with round (an integer >= 1), "), empty_round
        assert "TypeError" not in empty_round and "__init__" not in empty_round
        for body in (b"\xc1", b'{"round": 1, "adapter": null}'):
            not_msgpack = post("install", body)
            assert not_msgpack.startswith("install refused: the body is not msgpack ("), not_msgpack
            assert "adapter (agent.wire.encode_adapter's bytes) and/or cache_update" in not_msgpack
        assert "the body is a msgpack list, not a map of fields: send a msgpack map" in post("round", msgpack.packb([1]))
        assert "the body is empty: send a msgpack map" in post("install", b"")
    assert engine.swaps == 0 and engine.round == 0
