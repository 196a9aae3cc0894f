"""The contract between the HTTP layer and an engine, and the worker that runs jobs.

The HTTP layer (`serving.http_app`) parses and validates a request, turns it into a
`Job` (token ids plus sampling and routing parameters) and submits it; an engine runs
the job on its own worker thread and reports through a callback: one `TokenEvent` per
generated token, then one `JobDone` (or `JobFailed`). The engine never sees HTTP, the
HTTP layer never touches a model: each can be tested alone, as vLLM separates its
OpenAI entrypoints from its engine.

`WorkerEngine` is the shared machinery: one worker thread (a model's KV state and a
device's correction cache are single-request objects, and two cores have nothing to give
a second decode loop), a bounded FIFO queue (`max_queue` requests may wait besides the one
decoding; one more is refused at once with `EngineOverloaded`, which the HTTP layer answers
503), cancellation (a client that went away stops its generation at the next token), and
stop sequences (`TextStream`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from serving.errors import ServingError
from serving.text_output import TextStream

log = logging.getLogger("fedhybrid.serving")


class EngineOverloaded(ServingError):
    """The engine's queue is full: retry later."""


class JobError(ServingError):
    """The job itself is unusable (too long, ids outside the vocabulary): a 400."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class SamplingParams:
    max_tokens: int
    temperature: float = 0.0
    seed: int | None = None
    stops: tuple[str, ...] = ()
    ignore_eos: bool = False
    logprobs: int | None = None  # top-k log-probabilities per token (engines that support it)
    echo: bool = False  # also score the prompt (engines that support it)


@dataclass(frozen=True)
class RoutingParams:
    """A device agent's per-request routing dials (ignored by engines without routing)."""

    privacy: str | None = None  # "allow", "local-only", "redact"; None: the agent's default
    threshold: float | None = None
    target_cloud_share: float | None = None


@dataclass
class Job:
    prompt_ids: list[int]
    params: SamplingParams
    routing: RoutingParams = field(default_factory=RoutingParams)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    cancelled: threading.Event = field(default_factory=threading.Event)
    submitted: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class TokenEvent:
    token_id: int
    text: str  # the final text this token released (may be "": held back or a special token)
    provenance: str | None = None  # "device" / "cache" / "cloud" (routing engines)
    logprob: float | None = None
    top: dict[int, float] | None = None


@dataclass(frozen=True)
class JobDone:
    token_ids: list[int]
    text: str
    finish_reason: str  # "stop" (EOS or a stop sequence) or "length"
    provenance: list[str] | None = None
    usage: dict = field(default_factory=dict)  # extension counters beyond prompt/completion tokens
    prompt_logprobs: list[float | None] | None = None  # echo
    prompt_top: list[dict[int, float] | None] | None = None  # echo
    extra: dict = field(default_factory=dict)  # engine-specific response fields


@dataclass(frozen=True)
class JobFailed:
    status: int
    message: str
    param: str | None = None


Event = TokenEvent | JobDone | JobFailed
Emit = Callable[[Event], None]


class WorkerEngine:
    """One worker thread over a bounded FIFO queue; subclasses implement `run`."""

    def __init__(self, name: str, max_queue: int = 64, idle_tick_s: float | None = None):
        """`max_queue`: requests that may wait besides the one decoding (the serve commands'
        --max-queue); `idle_tick_s`: how often an idle worker calls `maintain()` (None: only
        between jobs)."""
        if max_queue < 1:
            raise ServingError(f"max_queue={max_queue} must be >= 1")
        self.name = name
        self.idle_tick_s = idle_tick_s
        self.max_queue = max_queue
        # admitted jobs not yet finished (waiting or decoding), counted here rather than by the
        # queue's size: a job sits in the queue until the worker thread takes it, which under a
        # burst (or while the worker folds corrections between jobs) is after the next arrivals,
        # so a bounded queue counted the job about to decode as waiting and refused one too many
        self._admitted = 0
        self._queue: queue.Queue[tuple[Job, Emit] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name=f"{name}-worker", daemon=True)
        self._started = False
        self._lock = threading.Lock()
        self.busy = False
        self.completed = 0
        self.failed = 0

    # -- the HTTP side ----------------------------------------------------------------------
    def submit(self, job: Job, emit: Emit) -> None:
        """Queue a job; `emit` is called from the worker thread. Raises EngineOverloaded."""
        with self._lock:
            if not self._started:
                self._thread.start()
                self._started = True
            if self._admitted > self.max_queue:  # one decoding and max_queue waiting
                waiting = f"{self.max_queue} request is" if self.max_queue == 1 else f"{self.max_queue} requests are"
                raise EngineOverloaded(f"{self.name}: {waiting} already waiting besides the one decoding, the most "
                                       f"this server queues (--max-queue {self.max_queue}); retry shortly")
            self._admitted += 1
            self._queue.put_nowait((job, emit))

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        if self._started:
            self._queue.put(None)
            self._thread.join(timeout=30)

    # -- the worker ---------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.idle_tick_s)
            except queue.Empty:
                self._maintain()
                continue
            if item is None:
                return
            job, emit = item
            try:
                if not job.cancelled.is_set():  # else the client left while the job waited
                    self._run_one(job, emit)
            finally:
                with self._lock:
                    self._admitted -= 1
            self._maintain()

    def _run_one(self, job: Job, emit: Emit) -> None:
        self.busy = True
        try:
            emit(self.run(job, emit))
            self.completed += 1
        except JobError as exc:
            emit(JobFailed(400, str(exc), exc.param))
        except Exception as exc:  # one bad job must not stop the worker
            log.exception("%s: job %s failed", self.name, job.request_id)
            self.failed += 1
            emit(JobFailed(500, f"internal error while generating ({type(exc).__name__}); see the server log"))
        finally:
            self.busy = False

    def _maintain(self) -> None:
        try:
            self.maintain()
        except Exception:  # housekeeping must not stop the worker; it is retried next time
            log.exception("%s: maintenance failed", self.name)

    def maintain(self) -> None:
        """Housekeeping on the worker thread between jobs (no request is mid-stream then)."""

    def run(self, job: Job, emit: Emit) -> JobDone:
        """Generate for `job`, calling `emit(TokenEvent)` per token; returns the JobDone."""
        raise NotImplementedError

    @staticmethod
    def streamer(job: Job, emit: Emit, tokenizer) -> tuple[TextStream, Callable[..., bool]]:
        """(text stream, per-token callback) honouring stop sequences and cancellation: the
        callback emits one TokenEvent and returns True when generation must end."""
        text = TextStream(tokenizer, job.params.stops)

        def on_token(token_id: int, provenance: str | None = None, logprob: float | None = None,
                     top: dict[int, float] | None = None) -> bool:
            delta, stopped = text.push(token_id)
            emit(TokenEvent(int(token_id), delta, provenance, logprob, top))
            return stopped or job.cancelled.is_set()

        return text, on_token
