"""The server's side of the relay (issue 15): with `relay`, a hub's round carries the signed
updates of the tier below it, the same views, under the same budgets, the devices there get."""

import numpy as np
import pytest

from cache_sync.channel import ServerChannel
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.envelope import verify_update
from cache_sync.keys import init_keys, server_verify_key
from cache_sync.merge import Delta, merge_all
from cache_sync.versioned import CacheUpdate
from fleet.config import FederationConfig
from fleet.errors import FleetError
from server.federation import Federation
from server.state import config_digest

HEADER = CacheHeader("test-tokenizer", vocab_size=50, n_min=2, n_max=8)
TIERS = ("client", "edge", "iot")


def _federation(tmp_path, relay=True) -> Federation:
    keys = tmp_path / "keys"
    init_keys(keys, [f"{t}-{i}" for i, t in enumerate(TIERS)])
    cfg = FederationConfig(fleet_tiers=TIERS, relay=relay, release_k=1, state_dir=str(tmp_path / "state"),
                           key_dir=str(keys))
    return Federation(cfg, HEADER, {}, {t: 0.5 for t in TIERS}, ServerChannel(keys))


def _merge(fed: Federation, round_: int, n: int, order: int = 3, seed: int = 0) -> None:
    """`n` corrections of context length `order` from one device, merged as a round's ingest does."""
    rng = np.random.default_rng(seed)
    pairs = [([int(x) for x in rng.integers(0, 50, size=order)], int(rng.integers(0, 50))) for _ in range(n)]
    device = f"edge-{seed}"  # (one delta per device and round: the ledger merges each once)
    table = CountTable.from_corrections(HEADER, pairs, device, round_)
    fed.state.aggregate = fed.state.aggregate.merge(merge_all(HEADER, [Delta(device, round_, round_, table)]))


def _released(fed: Federation, round_: int, n: int, seed: int = 0) -> None:
    _merge(fed, round_, n, seed=seed)
    fed.release(round_)
    fed.finish_round(round_, {}, [], 0.0)


def _same(a: CountTable, b: CountTable) -> bool:
    return sorted(a.entries.tobytes()[i:i + 40] for i in range(0, len(a.entries.tobytes()), 40)) == \
        sorted(b.entries.tobytes()[i:i + 40] for i in range(0, len(b.entries.tobytes()), 40))


def _open(signed: bytes, key, round_: int) -> CacheUpdate:
    version, payload = verify_update(signed, key, expect_round=round_)
    update = CacheUpdate.from_bytes(payload, HEADER)
    assert update.version == version
    return update


def test_a_hub_round_carries_the_tier_below_signed_as_the_devices_there_get_it(tmp_path):
    fed = _federation(tmp_path)
    key = server_verify_key(tmp_path / "keys")
    assert "relay-updates" not in fed.payload("edge-1", "edge", 1)  # nothing released yet: nothing to relay
    _released(fed, 1, 30)
    at_1 = fed.state.views["iot"].table
    _released(fed, 2, 30, seed=1)
    iot = fed.state.views["iot"]
    assert iot.version == 2
    out = fed.payload("edge-1", "edge", 3)
    step, whole = (_open(u, key, 3) for u in out["relay-updates"])
    assert (step.tier, step.full, step.base_version, step.version) == ("iot", False, 1, 2)
    assert (whole.tier, whole.full, whole.base_version, whole.version) == ("iot", True, 0, 2)
    # what the server sends iot devices directly: to a new one the whole table, to one at version 1 the step
    direct_new = _open(fed.payload("iot-2", "iot", 3)["cache-update"], key, 3)
    fed.state.node_versions["iot-3"] = {"iot": 1}
    direct_behind = _open(fed.payload("iot-3", "iot", 3)["cache-update"], key, 3)
    empty = CountTable(HEADER)
    assert _same(whole.apply_to(empty), direct_new.apply_to(empty)) and _same(whole.upserts, iot.table)
    assert direct_behind.tier == "iot" and _same(step.upserts, direct_behind.upserts)
    assert _same(step.apply_to(at_1), iot.table) and _same(direct_behind.apply_to(at_1), iot.table)
    # the client hub relays the edge view; an iot device relays nothing; the bytes are counted
    assert {_open(u, key, 3).tier for u in fed.payload("client-0", "client", 3)["relay-updates"]} == {"edge"}
    assert "relay-updates" not in fed.payload("iot-2", "iot", 3)
    assert fed._round["bytes_down"]["edge-1"] == len(out["cache-update"]) + sum(map(len, out["relay-updates"]))
    # built and signed once per round for every hub of the tier
    assert fed.payload("edge-5", "edge", 3)["relay-updates"] is out["relay-updates"]


def test_relayed_views_keep_the_lower_tier_budget_and_orders(tmp_path):
    fed = _federation(tmp_path)
    key = server_verify_key(tmp_path / "keys")
    _merge(fed, 1, 40, order=3)
    _merge(fed, 1, 40, order=7, seed=1)  # orders 2..7: 7 is beyond iot's orders (2..6), within edge's
    fed.release(1)
    (iot,) = (_open(u, key, 2) for u in fed.payload("edge-1", "edge", 2)["relay-updates"])
    (edge,) = (_open(u, key, 2) for u in fed.payload("client-0", "client", 2)["relay-updates"])
    assert iot.full and iot.version == edge.version == 1 and (iot.tier, edge.tier) == ("iot", "edge")
    assert _same(iot.upserts, fed.state.views["iot"].table) and _same(edge.upserts, fed.state.views["edge"].table)
    assert int(iot.upserts.orders.max()) == fed.cfg.profile("iot").ngram_orders[1] == 6
    assert int(edge.upserts.orders.max()) == 7
    assert len(edge.upserts) - len(iot.upserts) == int((edge.upserts.orders == 7).sum()) > 0


def test_relay_is_off_by_default_needs_signatures_and_does_not_change_the_state_digest(tmp_path):
    fed = _federation(tmp_path, relay=False)
    _released(fed, 1, 10)
    _released(fed, 2, 10, seed=1)
    assert "relay-updates" not in fed.payload("edge-1", "edge", 3)
    with pytest.raises(FleetError, match="relay=true needs secure=true"):
        FederationConfig(relay=True, secure=False)
    # turning it on or off resumes a state folder written without it
    assert config_digest(FederationConfig(relay=True).digest_values()) == config_digest(
        FederationConfig().digest_values())
