"""Confidence intervals for the demo's per-round figures (pure functions over numpy arrays).

- `wilson`: the Wilson score interval of a proportion (k successes of n trials), for an
  accuracy (the share of graded queries answered right). Wilson (1927), JASA 22:209-212.
- `bootstrap_ratios`: a seeded percentile bootstrap over queries, for figures that are ratios
  of sums over the same queries (token shares; accuracy against cloud-only). Efron & Tibshirani,
  An Introduction to the Bootstrap (1993), ch. 13.
- `verdict`: a goal is met / not met only when the whole interval lies on one side of it.

What the intervals cover: the sampling of queries within a round, nothing else. A rerun with
another training seed moves the figures too, and no interval here includes that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A point estimate with its interval; all None when there is nothing to estimate
    (e.g. a ratio whose denominator is zero)."""

    point: float | None
    low: float | None
    high: float | None

    @property
    def width(self) -> float | None:
        return None if self.low is None or self.high is None else self.high - self.low

    def fmt(self, percent: bool = True, digits: int = 1) -> str:
        """`4.6% [3.1, 6.0]` (percent) or `0.046 [0.031, 0.060]`; `-` when there is no point."""
        if self.point is None:
            return "-"
        scale, unit = (100.0, "%") if percent else (1.0, "")
        head = f"{self.point * scale:.{digits}f}{unit}"
        if self.low is None or self.high is None:
            return head
        return f"{head} [{self.low * scale:.{digits}f}, {self.high * scale:.{digits}f}]"

    def to_dict(self) -> dict:
        return {"point": self.point, "low": self.low, "high": self.high}


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level={level}: a confidence level lies strictly between 0 and 1 (e.g. 0.95)")
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson(successes: int, n: int, level: float = 0.95) -> Interval:
    """The Wilson score interval for `successes` of `n` trials.

    Unlike the normal (Wald) interval it stays inside [0, 1] and does not collapse to zero width
    at 0 or n successes (10 of 10 gives [0.722, 1.0]).

    Raises ValueError for n <= 0 (no trials: no proportion) or successes outside [0, n].
    """
    if n <= 0:
        raise ValueError(f"wilson: n={n} trials; a proportion needs at least one")
    if not 0 <= successes <= n:
        raise ValueError(f"wilson: successes={successes} must lie in [0, n={n}]")
    z = _z(level)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at 0 or n successes the bound is exactly 0 or 1 (rounding would leave 1e-17 off)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, float(low), float(high))


def resample_weights(n: int, strata: np.ndarray | None, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, n) counts: how often each query is drawn into each bootstrap sample. With
    strata, each stratum draws as many of its own queries as it has (with replacement)."""
    if strata is None:
        return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(np.float64)
    weights = np.zeros((resamples, n))
    for label in np.unique(strata):
        members = np.flatnonzero(strata == label)
        counts = rng.multinomial(len(members), np.full(len(members), 1.0 / len(members)), size=resamples)
        weights[:, members] = counts
    return weights


def bootstrap_ratios(columns: Mapping[str, Sequence[float] | np.ndarray],
                     ratios: Mapping[str, tuple[str, str]], *, strata: Sequence | None = None,
                     resamples: int = 2000, level: float = 0.95,
                     seed: int | Sequence[int] = 0) -> dict[str, Interval]:
    """Percentile bootstrap intervals of ratios of sums over queries.

    What is resampled: whole queries (rows). `columns` holds one value per query for each
    named column (e.g. tokens, cloud tokens, correct, cloud-only correct); `ratios` names each
    figure as (numerator column, denominator column), estimated as sum(numerator) /
    sum(denominator). Every figure of one bootstrap sample is computed from the same drawn
    queries, so a ratio of two columns of the same query is PAIRED: the system and cloud-only
    are compared on exactly the same resampled queries, and when they agree on every query
    the ratio is the same in every sample (a zero-width interval). A token share is
    token-weighted: a long answer counts for more tokens, not for more queries.

    `strata` (one label per query, e.g. the device that served it): resample within each
    label, keeping as many queries per label as the round had (the demo's design: every
    device serves a fixed number of queries). None: resample from all queries at once.

    Returns {figure: Interval(point, low, high)}; the point is the full-sample ratio (None
    when its denominator sums to zero). Bootstrap samples whose denominator sums to zero are
    left out of the percentiles; when every sample is left out, low and high are None.

    Raises ValueError for no queries, columns of unequal length, a ratio naming an unknown
    column, or resamples < 1.
    """
    if not columns:
        raise ValueError("bootstrap_ratios: no columns given")
    names = list(columns)
    arrays = [np.asarray(columns[k], dtype=np.float64).reshape(-1) for k in names]
    if len({len(a) for a in arrays}) != 1:
        lengths = {k: len(a) for k, a in zip(names, arrays)}
        raise ValueError(f"bootstrap_ratios: columns of unequal length {lengths}; one value per query in each")
    data = np.column_stack(arrays)  # (queries, columns)
    n = data.shape[0]
    if n == 0:
        raise ValueError("bootstrap_ratios: no queries to resample (a round or tier that served nothing has "
                         "no interval)")
    if resamples < 1:
        raise ValueError(f"bootstrap_ratios: resamples={resamples} must be >= 1")
    for figure, (num, den) in ratios.items():
        for col in (num, den):
            if col not in columns:
                raise ValueError(f"bootstrap_ratios: {figure!r} names column {col!r}; columns are {names}")
    labels = None
    if strata is not None:
        labels = np.asarray(strata)
        if labels.shape != (n,):
            raise ValueError(f"bootstrap_ratios: {labels.shape[0] if labels.ndim else 0} strata labels for "
                             f"{n} queries; one label per query")
    alpha = (1 - level) / 2
    _z(level)  # validates the level
    rng = np.random.default_rng(seed)
    sums = resample_weights(n, labels, resamples, rng) @ data  # (resamples, columns)
    full = data.sum(axis=0)
    index = {k: i for i, k in enumerate(names)}
    out: dict[str, Interval] = {}
    for figure, (num, den) in ratios.items():
        i, j = index[num], index[den]
        point = float(full[i] / full[j]) if full[j] != 0 else None
        ok = sums[:, j] != 0
        if point is None or not ok.any():
            out[figure] = Interval(point, None, None)
            continue
        values = sums[ok, i] / sums[ok, j]
        low, high = np.quantile(values, [alpha, 1 - alpha])
        # a figure that is the same in every sample has exactly zero width (no float noise)
        if values.min() == values.max():
            low = high = values[0]
        out[figure] = Interval(point, float(low), float(high))
    return out


def verdict(interval: Interval, goal: float, at_least: bool) -> str:
    """"met" when the whole interval satisfies the goal (>= goal when `at_least`, else <= goal),
    "not met" when the whole interval misses it, "undecided" when it straddles the goal or
    there is no interval."""
    if interval.low is None or interval.high is None:
        return "undecided"
    low, high = interval.low, interval.high
    if at_least:
        return "met" if low >= goal else "not met" if high < goal else "undecided"
    return "met" if high <= goal else "not met" if low > goal else "undecided"
