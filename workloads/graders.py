"""Graders: how an output is judged against a request of a workload file.

- `exact-number`: the last number in the output equals the last number of the request's
  `answer` (or `reference`), compared as numbers ("17" == "17.0"; "1,200" reads as 1200).
- `exact-match`: the stripped output equals the stripped `answer` (or `reference`).
- `contains`: the `answer` (or `reference`) occurs in the output.
- `regex`: the pattern (`--pattern`, else the request's `answer` read as a pattern) is found
  in the output (Python `re.search`).
- `agreement-with-cloud`: the output's token ids equal the cloud-only output's (exact match);
  the token agreement (position-aligned share of equal tokens) is reported beside it.
- `auto` (the default): `exact-number` for a request whose answer is a number,
  `exact-match` for another answer or a reference, `agreement-with-cloud` for a request with
  neither, so a file without references is still graded, against what the cloud would say.

Every grader is total: it returns a verdict for every output (an empty output is wrong), and
a request it cannot grade (no answer for `contains`, say) is a WorkloadError before any
decoding, not a silent skip.

One exception is counted, not refused: a `sensitive` request judged `agreement-with-cloud`
(auto's choice when it has no answer or reference). It is decoded local-only in every row,
cloud-only included, so it has no cloud output: comparing with its "cloud-only" output would
grade the device against itself. `not_graded_against_cloud` names such requests; eval leaves
them out of its quality and agreement figures and says so (`not_graded_warning`), and the file
stays valid (its other requests are graded, and the routing figures count every request).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from workloads.errors import WorkloadError
from workloads.requests import Request

KINDS = ("auto", "exact-number", "exact-match", "contains", "regex", "agreement-with-cloud")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def last_number(text: str) -> float | None:
    """The last number in `text` as a float (thousands separators dropped), or None."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    return float(found[-1].replace(",", ""))


def token_agreement(output: Sequence[int], reference: Sequence[int]) -> float:
    """Share of positions where the two token sequences agree, over the longer one."""
    n = max(len(output), len(reference), 1)
    return sum(a == b for a, b in zip(output, reference)) / n


@dataclass(frozen=True)
class Grader:
    """One grading rule for a whole workload file."""

    kind: str = "auto"
    pattern: str | None = None  # for `regex`; None: each request's answer is its pattern

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise WorkloadError(f"grader {self.kind!r} is unknown: choose one of {', '.join(KINDS)}")
        if self.pattern is not None:
            if self.kind != "regex":
                raise WorkloadError(f"--pattern goes with the regex grader, not {self.kind!r}")
            _compile(self.pattern, "--pattern")

    def resolve(self, req: Request) -> str:
        """The grader that judges `req` (auto resolved per request)."""
        target = _target(req)
        if self.kind == "auto":
            if target is None:
                return "agreement-with-cloud"
            return "exact-number" if last_number(target) is not None and _is_number(target) else "exact-match"
        return self.kind

    def check(self, requests: Sequence[Request]) -> None:
        """Refuse, before any decoding, a request this grader cannot judge (naming it)."""
        for req in requests:
            kind = self.resolve(req)
            if kind == "agreement-with-cloud":
                continue
            if kind == "regex" and self.pattern is not None:
                continue
            target = _target(req)
            if target is None:
                raise WorkloadError(f"request {req.id!r} has no 'answer' or 'reference' for the {kind} grader: "
                                    "add one, or use --grader agreement-with-cloud")
            if kind == "exact-number" and last_number(target) is None:
                raise WorkloadError(f"request {req.id!r}: the exact-number grader needs a number in its answer, "
                                    f"got {target!r}")
            if kind == "regex":
                _compile(target, f"request {req.id!r}'s answer")

    def correct(self, req: Request, text: str, ids: Sequence[int], cloud_ids: Sequence[int] | None) -> bool:
        """Whether the output (`text`, its token `ids`) is right for `req`; `cloud_ids` is the
        cloud-only output for the same request (needed by agreement-with-cloud)."""
        kind = self.resolve(req)
        if kind == "agreement-with-cloud":
            if cloud_ids is None:
                raise WorkloadError("agreement-with-cloud needs the cloud-only output: run cloud-only first")
            return list(ids) == list(cloud_ids)
        target = _target(req)
        if kind == "exact-number":
            got, want = last_number(text), last_number(target)
            return got is not None and got == want
        if kind == "exact-match":
            return text.strip() == target.strip()
        if kind == "contains":
            return target.strip() in text
        return _compile(self.pattern or target, "pattern").search(text) is not None


def _target(req: Request) -> str | None:
    return req.answer if req.answer is not None else req.reference


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text.strip()) is not None


def _compile(pattern: str, what: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise WorkloadError(f"{what} is not a valid regular expression ({exc}): {pattern!r}") from exc


def not_graded_against_cloud(grader: Grader, requests: Sequence[Request]) -> list[Request]:
    """The requests `grader` would judge against the cloud-only output that have none: the
    sensitive ones (decoded local-only in every row, cloud-only included)."""
    return [r for r in requests if r.sensitive and grader.resolve(r) == "agreement-with-cloud"]


def not_graded_warning(kind: str, ids: Sequence[str], total: int, shown: int = 5) -> str:
    """What `workload check` and `eval` tell a user whose requests `ids` (not_graded_against_cloud
    under the grader `kind`) are among `total`: how many, why they cannot be graded, what to do."""
    k = len(ids)
    named = ", ".join(repr(i) for i in ids[:shown]) + (f" and {k - shown} more" if k > shown else "")
    some, them = ("1 sensitive request", "it") if k == 1 else (f"{k} sensitive requests", "them")
    which = f"{some} of {total} ({named})"
    if kind == "agreement-with-cloud":
        why = f"{which} would be graded agreement-with-cloud (--grader agreement-with-cloud)"
        fix = (f"grade with another grader (--grader auto judges a request by its `answer` or `reference`: give "
               f"{them} one where missing)")
    else:
        why = f"{which} {'has' if k == 1 else 'have'} no `answer` or `reference`, so would be graded agreement-with-cloud"
        fix = (f"give {them} an `answer` or `reference`, or grade with another grader (--grader regex --pattern "
               "PATTERN needs neither)")
    outcome = ("eval cannot measure quality or agreement at all" if k == total
               else f"eval leaves {them} out of quality and agreement (cloud share and cost still count {them})")
    return (f"{why}, but a sensitive request is never sent to the cloud, not even under cloud-only, so there is no "
            f"cloud output to grade {them} against: {outcome}; to grade {them}, {fix}")
