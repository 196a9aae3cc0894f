"""The cloud tier over HTTP: vLLM's OpenAI-compatible completions API, as `Cloud`.

One call = one `POST /v1/completions` with the whole context as token ids, `max_tokens=1`,
`logprobs=k`, `temperature=0` and (when earlier positions must be scored) `echo=true`.
The server's prefix caching (vLLM's automatic prefix caching, or fedhybrid's embedded
server) keeps compute proportional to the new tokens. Works unchanged against vLLM.

Resilience: every call has a deadline; retries (connection errors, 5xx, malformed
bodies) happen only while the deadline allows; after `failure_threshold` consecutive
failures a circuit breaker opens and calls fail at once (the decoder continues
device-only) until `cooldown_s` passes and one probe call is let through.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from inference.cloud import CloudPrediction, CloudSkipped, CloudUnavailable, PositionScore
from inference.errors import TokenizerMismatchError
from inference.tokenizer import tokenizer_hash
from serving.call_guard import Breaker, CallStats
from serving.errors import ServingError
from serving.tls import tls_verify

_PROBE = "Q: Ava has 12 apples. She buys 5 more.\nA: 12 + 5 = 17. def f(x):\n    return x"


class NotACloud(ServingError):
    """The server answered, and is not a cloud this device can use: another server at that URL,
    a key it refuses, a model it does not serve, a device agent's user API. Unlike a server that
    is down, waiting does not help, so a start-up check refuses it."""


@dataclass(frozen=True)
class RemoteCloudConfig:
    url: str
    model: str | None = None  # None: the first model the server lists
    api_key: str | None = None
    verify_tls: bool | str = True  # a CA bundle path for self-signed certificates
    failure_threshold: int = 3
    cooldown_s: float = 5.0
    max_retries: int = 2
    max_connections: int = 16
    connect_timeout_s: float = 5.0
    # the content identity of the model the caller needs served (its reward head was calibrated
    # for it); a server that reports another (`model_identity` in its card: `cloud serve` does,
    # vLLM does not) is refused, `expect_why` saying why it was expected and what to do
    expect_identity: str | None = None
    expect_why: str = ""
    # the tier of the hop this server is (fedhybrid/hops.py sets it), None for the device's cloud:
    # messages name what it is and the hint that fits (a hub is a device agent's /hop endpoint)
    hop_tier: str | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ServingError(f"cloud url {self.url!r} must start with http:// or https://")
        root = self.url.rstrip("/")
        if root.endswith("/v1"):  # the openai client's base_url form: the routes below add /v1 themselves
            object.__setattr__(self, "url", root[: -len("/v1")])
        if self.failure_threshold < 1 or self.cooldown_s <= 0 or self.max_retries < 0:
            raise ServingError("failure_threshold >= 1, cooldown_s > 0 and max_retries >= 0 are required")


class RemoteCloud:
    """`Cloud` over HTTP. Construct, then `connect(tokenizer)` to check compatibility."""

    def __init__(self, cfg: RemoteCloudConfig):
        self.cfg = cfg
        headers = {"Authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else {}
        self._client = httpx.Client(
            base_url=cfg.url.rstrip("/"), headers=headers, verify=tls_verify(cfg.verify_tls),
            limits=httpx.Limits(max_connections=cfg.max_connections,
                                max_keepalive_connections=cfg.max_connections))
        self._breaker = Breaker(cfg.failure_threshold, cfg.cooldown_s)
        self.stats = CallStats()
        self._stats_lock = threading.Lock()
        self.vocab_size = 0
        self.model = cfg.model
        self._deferred = None  # a tokenizer to check at the first call (`connect_later`)
        self._last_error: str | None = None  # named when the circuit is open, so a log says why
        # why the server, once it answered, cannot be used (another model or tokenizer, not an
        # OpenAI server): waiting does not heal it, so the agent says it loudly (upstream_health)
        self.unusable: str | None = None

    @property
    def what(self) -> str:
        """What the server is to this device, for messages: 'the cloud at URL' or a hop's."""
        if self.cfg.hop_tier is None:
            return f"the cloud at {self.cfg.url}"
        return f"the hop of tier {self.cfg.hop_tier} at {self.cfg.url}"

    @property
    def last_failure(self) -> str | None:
        """The reason of the last failed call or check (None if none failed yet)."""
        return self._last_error

    def _hint(self) -> str:
        if self.cfg.hop_tier is None:
            return "is `fedhybrid cloud serve` (or vLLM) running there?"
        return ("is a device agent started with --serve-hop running there (its hop endpoint is "
                "http://HOST:PORT/hop)?")

    def connect(self, tokenizer, timeout_s: float | None = None) -> dict:
        """Check the server: model listed, tokenizer identical. Returns the model card.

        Raises:
            ServingError: unreachable or not ready (NotACloud: answered and unusable).
            TokenizerMismatchError: the server's tokenizer differs from `tokenizer`.
        """
        timeout = self.cfg.connect_timeout_s if timeout_s is None else timeout_s
        try:
            resp = self._client.get("/v1/models", timeout=timeout)
        except httpx.HTTPError as exc:
            raise ServingError(f"cannot reach {self.what}/v1/models ({_first_line(exc)}): {self._hint()}") from exc
        if resp.status_code >= 500 or resp.status_code in (408, 429):  # there, not ready: try again later
            raise ServingError(f"{self.what} answered {resp.status_code} to /v1/models: not ready")
        if resp.status_code >= 400:
            raise NotACloud(f"{self.what} answered {resp.status_code} to /v1/models: "
                            + ("it refused the key (--api-key / --cloud-api-key)" if resp.status_code in (401, 403)
                               else "it is not an OpenAI-compatible server (a device agent's hop endpoint is "
                                    "URL/hop, on an agent started with --serve-hop)"))
        try:
            cards = resp.json()["data"]
            card = next((c for c in cards if self.model in (None, c.get("id"))), None)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NotACloud(f"{self.what} answered /v1/models with something that is not an OpenAI "
                            f"model list ({str(exc)[:80]}): point it at an OpenAI-compatible server") from exc
        if card is None:
            raise NotACloud(f"model {self.model!r} is not served by {self.what} "
                            f"(served: {[c.get('id') for c in cards]})")
        if "device" in card:  # a device agent's own user API: it answers users, it does not score
            raise NotACloud(f"{self.cfg.url} is the user API of device agent {card['device']!r}, which does not score "
                            f"tokens: use {self.cfg.url.rstrip('/')}/hop (the agent started with --serve-hop)")
        self.model = card["id"]
        self.expect(card, self.cfg.expect_identity, self.cfg.expect_why)
        local_vocab = len(tokenizer)
        if "tokenizer_hash" in card:
            if card["tokenizer_hash"] != tokenizer_hash(tokenizer) or card.get("vocab_size") != local_vocab:
                raise TokenizerMismatchError(
                    f"{self.what} uses tokenizer {str(card['tokenizer_hash'])[:12]} "
                    f"(vocab {card.get('vocab_size')}), this device {tokenizer_hash(tokenizer)[:12]} "
                    f"(vocab {local_vocab}): point the device at a {self._noun} serving the fleet's tokenizer")
        else:  # e.g. vLLM: compare token ids of a probe text instead
            self._check_tokenize(tokenizer, timeout)
        self.vocab_size = int(card.get("vocab_size") or local_vocab)
        return card

    def expect(self, card: dict, identity: str | None, why: str = "") -> None:
        """Refuse the server whose model `card` reports an identity other than `identity` (None:
        anything; a server reporting none, as vLLM, is taken): `why` says why it was expected and
        what to do. `connect` checks the config's; a caller that chose its reward head from the
        card (`inference.runtime.remote_head_name`) checks the head's here.

        Raises:
            NotACloud: naming the served model, both identities and `why`.
        """
        served = card.get("model_identity")
        if identity and isinstance(served, str) and served != identity:
            raise NotACloud(f"{self.what} serves {card.get('id')!r} (identity {served[:12]}), not the "
                            f"model of identity {identity[:12]}" + (f": {why}" if why else ""))

    @property
    def _noun(self) -> str:
        return "cloud" if self.cfg.hop_tier is None else "hub"

    def _check_tokenize(self, tokenizer, timeout: float) -> None:
        """For a server whose card names no tokenizer hash (vLLM): its token ids of a probe text
        must be this device's. A server that answers /tokenize with a refusal or with no token
        list is no vLLM (nor `cloud serve`): nothing can check its tokens, and waiting does not
        change that, so it is `NotACloud`; one that does not answer, or answers 5xx, may be starting.

        Raises:
            ServingError: /tokenize not reached or not ready (NotACloud: answered, unusable).
            TokenizerMismatchError: the probe text tokenizes differently there.
        """
        try:
            resp = self._client.post("/tokenize", json={"model": self.model, "prompt": _PROBE}, timeout=timeout)
        except httpx.HTTPError as exc:
            raise ServingError(f"{self.what} did not answer /tokenize ({_first_line(exc)}): cannot check token "
                               f"compatibility: {self._hint()}") from exc
        if resp.status_code >= 500 or resp.status_code in (408, 429):
            raise ServingError(f"{self.what} answered {resp.status_code} to /tokenize: not ready")
        unusable = (f"{self.what} names no tokenizer_hash in its model card and {{}}, so this device cannot check "
                    f"that it tokenizes as the fleet does: point the device at a {self._noun} that can be checked "
                    + ("(vLLM, or `fedhybrid cloud serve`)" if self.cfg.hop_tier is None else
                       "(a device agent's hop endpoint URL/hop, on an agent started with --serve-hop)"))
        if resp.status_code >= 400:
            raise NotACloud(unusable.format(f"answered {resp.status_code} to /tokenize (not vLLM's tokenizer API)"))
        try:
            remote_ids = resp.json()["tokens"]
        except (ValueError, KeyError, TypeError) as exc:
            raise NotACloud(unusable.format("answered /tokenize without vLLM's token list")) from exc
        if remote_ids != tokenizer(_PROBE)["input_ids"]:
            raise TokenizerMismatchError(f"{self.what} tokenizes a probe text differently: device and "
                                         f"{self._noun} must share one tokenizer")

    def connect_later(self, tokenizer) -> None:
        """For a server that may be down now (a hop of an escalation chain): the compatibility
        check of `connect` runs at the first call instead; until it passes, calls raise
        `CloudUnavailable` (and count towards the circuit breaker)."""
        self._deferred = tokenizer
        self.vocab_size = len(tokenizer)

    def probe(self) -> str | None:
        """For a `connect_later` server: run the compatibility check now, once. Returns None when
        the server answered and is compatible (the first call then skips the check), else why it
        could not be reached (the check stays for the first call; the breaker is not touched).

        Raises:
            TokenizerMismatchError: the server answers with another tokenizer: no later call can
                succeed, so this is refused now rather than skipped at every call.
            NotACloud: the server answered and cannot be used (not an OpenAI server at that URL,
                the key refused, the model not served, a device agent's user API), for the same reason.
        """
        if self._deferred is None:
            return None
        try:
            self.connect(self._deferred)
        except NotACloud:
            raise  # it answered, and no later call can succeed (a wrong URL, key or model)
        except ServingError as exc:
            return str(exc)
        self._deferred = None
        return None

    def _connect_deferred(self, deadline_s: float) -> None:
        try:
            # within the call's deadline: a host that never answers (not one that refuses) stalled
            # one request per breaker cool-down for the whole connect timeout
            self.connect(self._deferred, min(self.cfg.connect_timeout_s, deadline_s))
        except (NotACloud, TokenizerMismatchError) as exc:
            # it answered and cannot be used: checked again each cool-down (it may be fixed), but
            # said as what it is, since waiting alone does not heal it
            self._breaker.record(False)
            self.unusable = str(exc)
            self._last_error = f"unusable, waiting will not help: {exc}"
            raise CloudUnavailable(self._last_error) from exc
        except ServingError as exc:
            self._breaker.record(False)
            self.unusable, self._last_error = None, str(exc)
            raise CloudUnavailable(str(exc)) from exc
        self._deferred = self.unusable = None

    def end_session(self, session: str) -> None:
        """Sessions live in the server's prefix cache: nothing to free here."""

    def close(self) -> None:
        self._client.close()

    @property
    def circuit_open(self) -> bool:
        return self._breaker.is_open

    def predict(self, session: str, tokens: Sequence[int], verify_from: int, top_k: int,
                deadline_s: float) -> CloudPrediction:
        tokens = [int(t) for t in tokens]
        if not 1 <= verify_from <= len(tokens):
            raise ServingError(f"verify_from={verify_from} must lie in [1, {len(tokens)}]")
        if not self._breaker.allow():
            with self._stats_lock:
                self.stats.short_circuited += 1
            raise CloudSkipped(f"circuit open: {self.what} failed repeatedly"
                               + (f" (last: {self._last_error})" if self._last_error else ""))
        if self._deferred is not None:
            self._connect_deferred(deadline_s)
        echo = verify_from < len(tokens)
        body = {"model": self.model, "prompt": tokens, "max_tokens": 1, "temperature": 0.0,
                "logprobs": max(1, top_k), "echo": echo, "return_tokens_as_token_ids": True}
        payload = json.dumps(body).encode()
        started = time.monotonic()
        attempt, last_error = 0, "no attempt"
        while True:
            remaining = deadline_s - (time.monotonic() - started)
            if remaining <= 0:
                break
            try:
                resp = self._client.post("/v1/completions", content=payload, timeout=remaining,
                                         headers={"Content-Type": "application/json"})
                with self._stats_lock:
                    self.stats.bytes_sent += len(payload)
                    self.stats.bytes_received += len(resp.content)
                if resp.status_code >= 500:
                    raise _Retryable(f"HTTP {resp.status_code}")
                if resp.status_code >= 400:
                    last_error = f"HTTP {resp.status_code}: {_refusal(resp)}"
                    break  # the request itself is wrong: retrying cannot help
                prediction = self._parse(resp.content, tokens, verify_from, top_k, echo)
            except (httpx.TimeoutException, httpx.TransportError, _Retryable) as exc:
                last_error = f"{type(exc).__name__}: {_first_line(exc)}"
                attempt += 1
                if attempt > self.cfg.max_retries:
                    break
                with self._stats_lock:
                    self.stats.retries += 1
                continue
            self._breaker.record(True)
            with self._stats_lock:
                self.stats.calls += 1
                self.stats.tokens_sent += len(tokens)
                self.stats.tokens_generated += 1
                self.stats.tokens_computed += prediction.tokens_computed
                self.stats.latencies_ms.append((time.monotonic() - started) * 1e3)
            return prediction
        self._breaker.record(False)
        with self._stats_lock:
            self.stats.calls += 1
            self.stats.failures += 1
        said = "cloud call" if self.cfg.hop_tier is None else f"call to {self.what}"
        self._last_error = f"{said} failed within {deadline_s * 1e3:.0f} ms: {last_error}"
        raise CloudUnavailable(self._last_error)

    def _parse(self, content: bytes, tokens: list[int], verify_from: int, top_k: int,
               echo: bool) -> CloudPrediction:
        try:
            data = json.loads(content)
            choice = data["choices"][0]
            lp = choice["logprobs"]
            top = lp["top_logprobs"]
            token_lps = lp["token_logprobs"]
            n = len(tokens)
            offset = n if echo else 0  # index of the generated token
            if offset and len(top) < n + 1:
                raise _Retryable("echo response shorter than the prompt")
            positions = []
            for i in range(verify_from, n):
                dist = _ids(top[i])
                greedy = max(dist, key=dist.get)
                positions.append(PositionScore(greedy, float(token_lps[i]), float(dist[greedy])))
            nxt = _ids(top[offset])
            ranked = sorted(nxt.items(), key=lambda kv: -kv[1])[: max(1, top_k)]
            computed = int(data.get("usage", {}).get("tokens_computed", n))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise _Retryable(f"malformed completion body ({type(exc).__name__}: {exc})") from exc
        if any(t < 0 or (self.vocab_size and t >= self.vocab_size) for t, _ in ranked):
            raise _Retryable("completion holds token ids outside the vocabulary")
        return CloudPrediction([t for t, _ in ranked], [v for _, v in ranked], verify_from, positions, computed)


def _ids(top: dict) -> dict[int, float]:
    """{"token_id:17": -0.1} (vLLM's return_tokens_as_token_ids) -> {17: -0.1}."""
    if not isinstance(top, dict) or not top:
        raise ServingError("missing top_logprobs")
    out = {}
    for key, value in top.items():
        if not isinstance(key, str) or not key.startswith("token_id:"):
            raise ServingError(f"token key {key!r} is not 'token_id:N' (send return_tokens_as_token_ids)")
        out[int(key.split(":", 1)[1])] = float(value)
    return out


class _Retryable(Exception):
    pass


def _first_line(exc: BaseException) -> str:
    """An error's text cut to its first line: httpx appends a multi-line 'For more information
    check: https://developer.mozilla.org/...' to status errors, which broke one-line log entries."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines and lines[0] else type(exc).__name__


def _refusal(resp: httpx.Response) -> str:
    """Why a server refused a scoring call: its OpenAI-shaped message whole (not the body cut
    mid-word), with the likely fix when the server cannot score at all."""
    try:
        message = str(resp.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return " ".join(resp.text[:300].split())  # one line: an HTML error page spans many
    if "logprobs" in message and "not supported" in message:
        # a device agent's user API answers but does not score: its scoring API is /hop
        message += (f" (this server does not score tokens: if it is a device agent, its hop endpoint is "
                    f"{str(resp.request.url).split('/v1/')[0]}/hop)")
    return message

