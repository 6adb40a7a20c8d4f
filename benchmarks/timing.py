"""Interleaved timing: run each candidate in turn, round after round.

A machine shared with other work gets faster and slower over minutes. Timing
the project's code and its baseline in alternating rounds exposes both to the
same load, so the ratio of their medians is stable even when the absolute
times are not.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# A measurement runs one round of a candidate and returns its samples, in
# seconds (or in another unit, for measurements that are not durations).
Measurement = Callable[[], Sequence[float]]


@dataclass(frozen=True)
class Summary:
    """Median and spread of a candidate's samples."""

    median: float
    lower_quartile: float
    upper_quartile: float
    count: int
    minimum: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> "Summary":
        if not samples:
            raise ValueError("cannot summarise an empty list of samples")
        if len(samples) == 1:
            return cls(samples[0], samples[0], samples[0], 1, samples[0])
        lower, _, upper = statistics.quantiles(samples, n=4, method="inclusive")
        return cls(statistics.median(samples), lower, upper, len(samples), min(samples))

    def scaled(self, factor: float) -> "Summary":
        """Return the summary with every value multiplied by `factor`, such as 1000 for milliseconds."""
        return Summary(
            self.median * factor, self.lower_quartile * factor, self.upper_quartile * factor,
            self.count, self.minimum * factor,
        )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "median": self.median,
            "lower_quartile": self.lower_quartile,
            "upper_quartile": self.upper_quartile,
            "minimum": self.minimum,
            "samples": self.count,
        }


def repeat(function: Callable[[], object], calls: int) -> Measurement:
    """Make a measurement that times `calls` calls of `function`, one sample per call."""
    if calls < 1:
        raise ValueError(f"calls must be at least 1, got {calls}")

    def measure() -> list[float]:
        samples = []
        for _ in range(calls):
            start = time.perf_counter()
            function()
            samples.append(time.perf_counter() - start)
        return samples

    return measure


def interleave(measurements: dict[str, Measurement], rounds: int, warmup: bool = True) -> dict[str, Summary]:
    """Run every measurement once per round and summarise each one's samples.

    The order of the candidates reverses every round, so none of them always
    runs first after the others have warmed or evicted the caches. With
    `warmup`, each measurement runs once before the first round and its
    samples are dropped: first calls pay for lazy initialisation, tracing and
    a cold page cache.

    Raises:
        ValueError: `rounds` is below 1, or a measurement returned no samples.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")

    names = list(measurements)
    if warmup:
        for name in names:
            measurements[name]()

    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        order = names if index % 2 == 0 else names[::-1]
        for name in order:
            samples[name].extend(measurements[name]())

    empty = [name for name, values in samples.items() if not values]
    if empty:
        raise ValueError(f"measurements returned no samples: {empty}")
    return {name: Summary.of(values) for name, values in samples.items()}
