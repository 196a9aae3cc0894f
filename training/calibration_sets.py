"""What a reward head is trained and calibrated on: the zoo's word problems, or a user's file.

Calibration needs three disjoint sets: prompts to label (the device decodes, the cloud
scores each token), prompts to build the tau -> (cloud share, quality) table on, and a
held-out check that the chosen tau gives the promised share on prompts it was not chosen on.
- `wordmath_sets`: generated problems (train split to label, two held-out draws), graded by
  exact match of the final answer, as the zoo has always been calibrated;
- `workload_sets`: a user's workload file split by a hash of each request's id (60% label,
  20% calibrate, 20% check; stable when requests are added), graded by the file's grader.
  A request without an answer is judged against the cloud-only output
  (agreement-with-cloud), which calibration decodes once per request before the table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from training.errors import TrainingError
from workloads import wordmath
from workloads.graders import Grader
from workloads.requests import Request

MIN_REQUESTS = 7  # 4 to label, 2 to calibrate on, 1 to check


@dataclass
class Task:
    """One prompt with its judge: `correct(text, token_ids, cloud_only_ids)`."""

    prompt: str | list[int]
    correct: Callable[[str, list[int], list[int] | None], bool]
    needs_reference: bool = False
    reference: list[int] | None = None  # the cloud-only output, filled in when needed

    def is_correct(self, text: str, ids: Sequence[int]) -> bool:
        return self.correct(text, list(ids), self.reference)


@dataclass
class CalibrationSets:
    train: list[Task]  # labelled for the head (their judges grade the consequence labels' rollouts)
    calib: list[Task]
    check: list[Task]
    stop_ids: frozenset[int] = frozenset()
    source: dict = field(default_factory=dict)  # what retarget needs to rebuild these sets


def wordmath_task(p: wordmath.Problem) -> Task:
    """A word problem judged by exact match of its final answer."""
    return Task(p.prompt, lambda text, ids, ref: wordmath.is_correct(p, text))


def wordmath_sets(train_problems: int, calib_problems: int, seed) -> CalibrationSets:
    return CalibrationSets(
        [wordmath_task(p) for p in wordmath.generate("train", train_problems, seed=f"calibrate/{seed}")],
        [wordmath_task(p) for p in wordmath.generate("heldout", calib_problems, seed=f"calibrate/{seed}")],
        [wordmath_task(p) for p in wordmath.generate("heldout", calib_problems, seed=f"calibrate-check/{seed}")],
        source={"kind": "wordmath"})


def workload_sets(requests: Sequence[Request], grader: Grader, prompt_ids: Callable[[Request], list[int]],
                  stop_ids: frozenset[int] = frozenset(), seed=0, source: dict | None = None) -> CalibrationSets:
    """The three sets from a user's requests (see the module docstring).

    Raises:
        TrainingError: fewer than MIN_REQUESTS requests; WorkloadError: a request the grader
            cannot judge.
    """
    requests = list(requests)
    if len(requests) < MIN_REQUESTS:
        raise TrainingError(f"a workload of {len(requests)} requests is too small to calibrate on: give at least "
                            f"{MIN_REQUESTS} (60% label the head, 20% build the tau table, 20% check it)")
    grader.check(requests)
    ordered = sorted(requests, key=lambda r: hashlib.sha256(f"{seed}/{r.id}".encode()).hexdigest())
    n_train = max(4, round(0.6 * len(ordered)))
    n_calib = max(2, (len(ordered) - n_train) // 2)
    train, calib, check = ordered[:n_train], ordered[n_train:n_train + n_calib], ordered[n_train + n_calib:]

    return CalibrationSets(tasks_from_requests(train, grader, prompt_ids),
                           tasks_from_requests(calib, grader, prompt_ids),
                           tasks_from_requests(check, grader, prompt_ids), stop_ids,
                           source={"kind": "workload", **(source or {})})


def tasks_from_requests(requests: Sequence[Request], grader: Grader,
                        prompt_ids: Callable[[Request], list[int]]) -> list[Task]:
    """One Task per request, judged by `grader` (a cloud-only reference where it needs one)."""
    def task(req: Request) -> Task:
        return Task(prompt_ids(req), lambda text, ids, ref: grader.correct(req, text, ids, ref),
                    needs_reference=grader.resolve(req) == "agreement-with-cloud")

    return [task(r) for r in requests]
