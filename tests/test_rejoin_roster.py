"""A SuperNode that restarts comes back under a new node id, and nodes connect late: the server
refreshes its node map from the SuperLink's list before every round (server/federation.py
`NodeRoster` in server/roster.py, server/app.py `refresh`)."""

import logging

import pytest
from flwr.app import Context, RecordDict

import clients.app as client_module
from fleet.config import FederationConfig
from server.app import run_federation
from server.errors import ServerError
from server.inprocess_grid import InProcessGrid
from server.roster import NodeRoster

FLEET = {"edge-0": "edge", "edge-1": "edge", "iot-2": "iot"}
KINDS = {"edge": ("edge-model", 8), "iot": ("iot-model", 4)}


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _roster(clock=None) -> NodeRoster:
    return NodeRoster(FLEET, KINDS, **({"clock": clock} if clock else {}))


def _devices(roster: NodeRoster) -> dict[int, str]:
    return {n: info.device for n, info in roster.nodes.items()}


def test_rejoin_a_device_under_a_new_id_replaces_its_old_id(caplog):
    roster = _roster()
    roster.update([1, 2], {1: ("edge-0", "edge"), 2: ("edge-1", "edge")}, discovery=True)
    caplog.set_level(logging.INFO, "fedhybrid.server")
    # edge-1 crashed and restarted: its old id is still listed (Flower has not missed its heartbeats yet)
    assert roster.unknown([1, 2, 7]) == [7]  # only the id never seen is asked
    changes = roster.update([1, 2, 7], {7: ("edge-1", "edge")})
    assert changes == {"rejoined": ["edge-1"]}
    assert _devices(roster) == {1: "edge-0", 7: "edge-1"}
    assert roster.nodes[7].family == "edge-model" and roster.nodes[7].rank == 8
    assert "edge-1 rejoined as node 7 (was 2)" in caplog.text
    assert roster.unknown([1, 2, 7]) == []  # the dead old id is never asked (it would hold the refresh)
    assert roster.update([1, 7], {}) == {}  # Flower dropped the old id: nothing left the sampling


def test_rejoin_a_late_node_joins_and_a_gone_node_leaves_once(caplog):
    roster = _roster()
    roster.update([1, 2], {1: ("edge-0", "edge"), 2: ("edge-1", "edge")}, discovery=True)
    caplog.set_level(logging.INFO, "fedhybrid.server")
    assert roster.update([1, 2, 3], {3: ("iot-2", "iot")}) == {"joined": ["iot-2"]}
    assert "iot-2 joined as node 3" in caplog.text
    assert roster.update([1, 3], {}) == {"left": ["edge-1"]}
    assert roster.update([1, 3], {}) == {}
    assert caplog.text.count("edge-1 (node 2) is no longer connected") == 1
    assert _devices(roster) == {1: "edge-0", 3: "iot-2"}
    # it comes back after a clean stop (new id): a rejoin, named with the id it had
    assert roster.update([1, 3, 9], {9: ("edge-1", "edge")}) == {"rejoined": ["edge-1"]}
    assert "edge-1 rejoined as node 9 (was 2)" in caplog.text


def test_rejoin_an_id_that_does_not_answer_is_asked_again_after_a_growing_back_off(caplog):
    """A listed id that never said who it is was asked before every round, each time holding the
    refresh until the query's timeout (up to 120 s a round): now after 60 s, 120 s, ... 15 min."""
    from server.roster import RETRY_FIRST_S, RETRY_MAX_S

    clock = _Clock()
    roster = _roster(clock)
    caplog.set_level(logging.INFO, "fedhybrid.server")
    roster.update([1, 5], {1: ("edge-0", "edge")}, discovery=True, asked=roster.unknown([1, 5]))
    assert "node 5 will be asked who it is again in 60 s (1 unanswered)" in caplog.text
    waits = []
    for _ in range(6):
        start = clock.now
        while roster.unknown([1, 5, 8]) == [8]:  # a new id (a restarted SuperNode) is asked at once
            clock.now += 1.0
        waits.append(clock.now - start)
        roster.update([1, 5], {}, asked=roster.unknown([1, 5]))
    assert waits == [RETRY_FIRST_S, 2 * RETRY_FIRST_S, 4 * RETRY_FIRST_S, 8 * RETRY_FIRST_S, RETRY_MAX_S, RETRY_MAX_S]
    clock.now += RETRY_MAX_S
    assert roster.update([1, 5], {5: ("edge-1", "edge")}, asked=roster.unknown([1, 5])) == {"joined": ["edge-1"]}
    assert roster.unknown([1, 5]) == [] and _devices(roster) == {1: "edge-0", 5: "edge-1"}
    # an id that leaves the list is forgotten: listed again, it is asked at once
    roster.update([1, 5, 6], {}, asked=[6])
    roster.update([1, 5], {})
    assert roster.unknown([1, 5, 6]) == [6]


def test_rejoin_devices_outside_the_fleet_are_left_out_and_never_asked_again(caplog):
    roster = _roster()
    roster.update([1], {1: ("edge-0", "edge")}, discovery=True)
    changes = roster.update([1, 4, 5], {4: ("phone-7", "edge"), 5: ("iot-2", "edge")})
    assert changes == {} and _devices(roster) == {1: "edge-0"}
    assert "'phone-7', which fleet-tiers does not have" in caplog.text
    assert "iot-2 of tier 'edge', but fleet-tiers makes iot-2 a iot" in caplog.text
    assert roster.unknown([1, 4, 5]) == []


def test_rejoin_two_live_ids_for_one_device(caplog):
    with pytest.raises(ServerError, match="nodes 1, 2 all answer as edge-0"):  # at discovery: nothing ran yet
        _roster().update([1, 2], {1: ("edge-0", "edge"), 2: ("edge-0", "edge")}, discovery=True)
    roster = _roster()
    roster.update([1], {1: ("edge-1", "edge")}, discovery=True)
    # during the run: neither new id is taken, the device keeps its node, both are asked again
    assert roster.update([1, 2, 3], {2: ("edge-0", "edge"), 3: ("edge-0", "edge")}) == {}
    assert roster.update([1, 2, 3], {2: ("edge-0", "edge"), 3: ("edge-0", "edge")}) == {}
    assert caplog.text.count("nodes 2, 3 all answer as edge-0") == 1
    assert _devices(roster) == {1: "edge-1"} and roster.unknown([1, 2, 3]) == [2, 3]
    # one of them stopped: the other is taken
    assert roster.update([1, 3], {3: ("edge-0", "edge")}) == {"joined": ["edge-0"]}


def test_rejoin_a_replaced_id_still_connected_long_after_is_a_second_supernode(caplog):
    clock = _Clock()
    roster = _roster(clock)
    roster.update([1], {1: ("edge-0", "edge")}, discovery=True)
    roster.update([1, 2], {2: ("edge-0", "edge")})  # a new SuperNode says it is edge-0
    clock.now = 60.0
    roster.update([1, 2], {})
    assert "still connected" not in caplog.text  # a crashed SuperNode may stay listed this long
    clock.now = 120.0
    roster.update([1, 2], {})
    roster.update([1, 2], {})
    assert caplog.text.count("node 1, which edge-0 had before it rejoined as node 2, is still connected") == 1
    assert _devices(roster) == {2: "edge-0"}  # one id per device, whatever happens


class _RestartingGrid(InProcessGrid):
    """The in-process grid with what a SuperLink does when SuperNodes restart: `listed` is what
    `get_node_ids` returns, and a `dead` id (a crashed SuperNode Flower still lists) never replies."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dead: set[int] = set()
        self.gone: set[int] = set()  # no longer listed
        self.sent: list[tuple[str, int]] = []  # (message type, destination) of everything sent

    def get_node_ids(self):
        return [n for n in self.contexts if n not in self.gone]

    def stream_replies(self, messages, *, timeout=None):
        live = []
        for message in messages:
            self.sent.append((message.metadata.message_type, message.metadata.dst_node_id))
            if message.metadata.dst_node_id not in self.dead:
                live.append(message)
        yield from super().stream_replies(live, timeout=timeout)

    def start(self, node_id: int, like: int) -> None:
        """A SuperNode with `like`'s node config connects as `node_id`."""
        old = self.contexts[like]
        self.contexts[node_id] = Context(run_id=self.run_id, node_id=node_id, node_config=dict(old.node_config),
                                         state=RecordDict(), run_config=dict(old.run_config))


@pytest.mark.parametrize("secure", [False, True], ids=["plain", "secure-aggregation"])
def test_rejoin_a_restarted_node_and_a_late_node_answer_in_later_rounds(tiny_zoo_dir, replay_corpus, tmp_path,
                                                                        caplog, secure):
    run_config = {"num-rounds": 3, "zoo": str(tiny_zoo_dir), "state-dir": str(tmp_path / "run"), "release-k": 2,
                  "robust": False, "secure-aggregation": secure, "replay-dir": str(replay_corpus),
                  "fleet-tiers": "edge,edge,iot"}
    grid = _RestartingGrid(client_module.app, run_config,
                           [{"partition-id": i, "num-partitions": 3} for i in range(3)])
    grid.dead = {1003}  # iot-2's SuperNode crashed before the run: listed, silent

    def between_rounds(rnd, record):
        if rnd == 1:  # edge-1 restarts (its old id still listed for a while); iot-2 comes back
            grid.start(2002, like=1002)
            grid.dead.add(1002)
            grid.start(2003, like=1003)
            grid.gone.add(1003)
        elif rnd == 2:  # Flower missed edge-1's old heartbeats
            grid.gone.add(1002)

    caplog.set_level(logging.INFO, "fedhybrid.server")
    state = run_federation(grid, FederationConfig.from_run_config(run_config), on_round=between_rounds)
    history = state.history
    assert sorted(history[0]["nodes"]) == ["edge-0", "edge-1"]
    for record in history[1:]:
        assert sorted(record["nodes"]) == ["edge-0", "edge-1", "iot-2"] and not record["dropped"]
    assert history[1]["membership"] == {"joined": ["iot-2"], "rejoined": ["edge-1"]}
    assert "membership" not in history[2]
    assert "edge-1 rejoined as node 2002 (was 1002)" in caplog.text
    assert "iot-2 joined as node 2003" in caplog.text
    # after the restart nothing goes to the dead id; identities are asked of new ids only
    train_to = [dst for kind, dst in grid.sent if kind == "train"]
    assert train_to[:2] == [1001, 1002] and set(train_to[2:]) == {1001, 2002, 2003}
    assert [dst for kind, dst in grid.sent if kind == "query"] == [1001, 1002, 1003, 2002, 2003]
    # each device's deltas are merged once, whichever node id carried them
    assert [r["ingest"]["duplicates"] for r in history] == [0, 0, 0]
    assert sorted(state.aggregate.ledger) == sorted(
        [(d, r) for d in ("edge-0", "edge-1") for r in (1, 2, 3)] + [("iot-2", 2), ("iot-2", 3)])
