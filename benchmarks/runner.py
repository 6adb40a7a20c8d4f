"""Run the selected figures and assemble the report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from benchmarks.batch import measure_batch
from benchmarks.context import Context
from benchmarks.machine import describe_machine, load_average
from benchmarks.memory import measure_memory
from benchmarks.model_time import measure_model_time
from benchmarks.photo_time import measure_photo_time
from benchmarks.rendering import measure_rendering
from benchmarks.results import Figure
from benchmarks.startup import measure_startup

logger = logging.getLogger("benchmarks")


@dataclass(frozen=True)
class FigureSpec:
    """A figure's command-line name, its title and the function that measures it."""

    name: str
    title: str
    measure: Callable[[Context], list[Figure]]
    needs_keras: bool


# In figure order. The figure modules import TensorFlow only inside the
# functions that need it.
FIGURES = (
    FigureSpec("model", "Model time per photo", measure_model_time, needs_keras=True),
    FigureSpec("photo", "Photo to result", measure_photo_time, needs_keras=False),
    FigureSpec("batch", "Batch throughput", measure_batch, needs_keras=True),
    FigureSpec("startup", "Cold start", measure_startup, needs_keras=False),
    FigureSpec("feature_maps", "Feature-map rendering", measure_rendering, needs_keras=False),
    FigureSpec("memory", "Peak memory", measure_memory, needs_keras=False),
)
FIGURE_NAMES = tuple(spec.name for spec in FIGURES)


def run_figures(context: Context, names: list[str]) -> list[Figure]:
    """Measure the named figures and return their rows in figure order.

    The figures that need TensorFlow run last, so the others are measured
    before TensorFlow's threads and memory exist in this process. A figure
    that fails becomes one row with the error, and the others still run.
    """
    specs = [spec for spec in FIGURES if spec.name in names]
    rows: dict[str, list[Figure]] = {}
    for number, spec in enumerate(sorted(specs, key=lambda spec: spec.needs_keras), start=1):
        logger.info("Figure %d of %d: %s…", number, len(specs), spec.title)
        start = time.perf_counter()
        try:
            rows[spec.name] = spec.measure(context)
        except Exception as error:  # noqa: BLE001 - one failed figure must not lose the others
            logger.exception("Figure %r failed", spec.name)
            rows[spec.name] = [Figure(key=spec.name, title=spec.title, unit="", error=f"{type(error).__name__}: {error}")]
        logger.info("  done in %.0f s", time.perf_counter() - start)
    return [row for spec in specs for row in rows[spec.name]]


def build_report(context: Context, figures: list[Figure], command: str, quick: bool, load_before: list[float] | None) -> dict:
    """Assemble the JSON report: when, how, on which machine and model, and every figure."""
    try:
        model = context.model_summary()
    except Exception as error:  # noqa: BLE001 - the report still records the figures' errors
        model = {"path": str(context.model_path), "error": str(error)}
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "quick": quick,
        "machine": describe_machine(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "model": model,
        "figures": [figure.as_dict() for figure in figures],
    }
