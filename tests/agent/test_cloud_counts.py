"""What the agent reports of its calls to the tier above: `cloud_calls` counts the calls made
(failed ones included), a call the cloud client refused without contacting the cloud (its
circuit breaker open) is counted apart as skipped, and the periodic warning counts the calls
since the previous warning."""

import re
import socket
import threading

import pytest

from inference.cloud import CloudUnavailable
from inference.tokenizer import encode_prompt
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=29)[0].prompt


class Listener:
    """A TCP port that accepts connections and closes them at once (a cloud that is down but
    reachable), counting them: what the cloud saw of the agent's calls."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def down():
    """down() -> (a RemoteCloud pointed at a listener that drops every connection, the listener)."""
    from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

    made = []

    def make(tok, threshold: int = 3):
        listener = Listener()
        remote = RemoteCloud(RemoteCloudConfig(listener.url, failure_threshold=threshold, cooldown_s=600.0,
                                               max_retries=0, connect_timeout_s=2.0))
        remote.connect_later(tok)  # as `device serve` does with a cloud down at the start
        made.append((remote, listener))
        return remote, listener

    yield make
    for remote, listener in made:
        remote.close()
        listener.close()


def test_calls_the_breaker_refused_are_skipped_not_made(make_agent, run_job, zoo_models, down):
    """With the cloud down, the agent reported every escalation as a call made and failed (253 calls
    and failures where the cloud saw 12 connections): the open breaker's refusals reach no one."""
    remote, listener = down(zoo_models[2])
    # every token asks; the same question again is not settled (no call of its own at the end)
    engine = make_agent("edge-5", upstream=remote, policy="cloud-only", settle_recurring=False)
    done, _ = run_job(engine, encode_prompt(engine.tokenizer, PROMPT), max_tokens=8)
    usage, record = done.usage, done.extra["fedhybrid"]
    assert usage["device_tokens"] == 8  # answered all the same
    assert usage["cloud_calls"] == listener.connections == 3  # the breaker opens after 3 failures
    assert record["cloud_failures"] == 3
    assert usage["cloud_skipped"] == record["cloud_skipped"] == 5 == remote.stats.short_circuited
    gauges = engine.gauges()
    assert gauges["cloud_calls_total"][0] == 3 and gauges["cloud_errors_total"][0] == 3
    assert gauges["cloud_skipped_total"][0] == 5
    health = engine.health()
    assert (health["cloud"], health["cloud_failures_total"], health["cloud_skipped_total"]) == ("failing", 3, 5)
    # a second request while the breaker stays open: no call made, every escalation skipped
    again, _ = run_job(engine, encode_prompt(engine.tokenizer, PROMPT), max_tokens=4)
    assert (again.usage["cloud_calls"], again.usage["cloud_skipped"]) == (0, 4) and listener.connections == 3
    assert engine.health()["cloud"] == "failing"  # skipped calls do not say the cloud is back
    assert engine.health()["cloud_skipped_total"] == 9


def test_a_hop_chain_counts_skipped_hops_and_a_call_no_hop_took(make_agent, run_job, zoo_models, down):
    """--hop: a hop whose breaker refused the call is skipped (its `skipped`, not `calls`/`failed`);
    a call is made when any hop was contacted, and skipped when none was."""
    from inference.cloud import LocalCloud
    from inference.escalation import CloudSkipped, EscalationChain, Hop

    _, cloud_model, tok, *_ = zoo_models
    hub, hub_port = down(tok)
    chain = EscalationChain([Hop("edge", hub, deadline_s=2.0), Hop("cloud", LocalCloud(cloud_model), deadline_s=5.0)])
    engine = make_agent("iot-5", upstream=chain, policy="cloud-only")
    done, _ = run_job(engine, encode_prompt(engine.tokenizer, PROMPT), max_tokens=6)
    assert done.extra["fedhybrid"]["answered_by"] == {"cloud": 6}
    assert (done.usage["cloud_calls"], done.usage["cloud_skipped"], done.extra["fedhybrid"]["cloud_failures"]) \
        == (6, 0, 0)  # the cloud answered every call, whatever the hub did
    edge, top = engine.health()["hops"]
    assert (edge["calls"], edge["failed"], edge["skipped"]) == (3, 3, 3) == (hub_port.connections, 3, 3)
    assert (top["calls"], top["skipped"]) == (6, 0)

    # every hop down: the first calls reach them (made, failed); once both breakers are open, none is
    top_down, top_port = down(tok, threshold=2)
    both = EscalationChain([Hop("edge", down(tok, threshold=2)[0], deadline_s=2.0),
                            Hop("cloud", top_down, deadline_s=2.0)])
    for _ in range(2):
        with pytest.raises(CloudUnavailable) as made:
            both.predict("s", [5, 6, 7], 3, 4, 2.0)
        assert not isinstance(made.value, CloudSkipped)
    with pytest.raises(CloudSkipped, match="no hop was asked"):
        both.predict("s", [5, 6, 7], 3, 4, 2.0)
    assert top_port.connections == 2
    assert [(h["calls"], h["failed"], h["skipped"]) for h in both.summary()] == [(2, 2, 1), (2, 2, 1)]


class _Down:
    """A cloud every call of which fails (a call made: it raises, not a breaker's refusal)."""

    def __init__(self, vocab_size: int):
        self.vocab_size = vocab_size

    def predict(self, *args, **kwargs):
        raise CloudUnavailable("cloud call failed within 2000 ms: ConnectError")

    def end_session(self, session: str) -> None:
        pass

    def close(self) -> None:
        pass


def test_the_warning_counts_the_calls_failed_since_the_previous_one(make_agent, run_job, zoo_models, caplog):
    """It said `6 cloud call(s) failed ... (1753 since start)` 30 s after the previous warning: the
    6 were the last request's alone, not the failures since that warning."""
    engine = make_agent("edge-7", upstream=_Down(zoo_models[0].config.vocab_size), policy="cloud-only",
                        settle_recurring=False)
    now = [1000.0]
    engine.upstream.clock = lambda: now[0]
    ids = encode_prompt(engine.tokenizer, PROMPT)
    with caplog.at_level("WARNING", logger="fedhybrid.agent"):
        run_job(engine, ids, max_tokens=3)  # the first failures: warned at once
        for _ in range(4):  # within 30 s of it: counted, not warned
            now[0] += 5
            run_job(engine, ids, max_tokens=2)
        now[0] += 11  # 31 s after the first warning
        run_job(engine, ids, max_tokens=1)
    warnings = [r.getMessage() for r in caplog.records if "failed or missed their deadline" in r.getMessage()]
    assert len(warnings) == 2, warnings
    counts = [int(re.search(r"(\d+) cloud call\(s\) failed", w).group(1)) for w in warnings]
    assert counts == [3, 4 * 2 + 1], warnings  # the second: every failure since the first warning
    assert "since start: 12 failed" in warnings[1]
