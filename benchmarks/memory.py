"""Figure 6: peak memory of the app classifying many photos, against ten times fewer."""

from __future__ import annotations

import itertools
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.context import REPO_ROOT, Context, error_summary, subprocess_environment
from benchmarks.results import Figure
from benchmarks.timing import interleave

MAX_GROWTH = 1.10  # peak with many photos over peak with ten times fewer
MAX_PEAK_MB = 400.0

# Ten thousand photos take the app one to three minutes on 2 busy cores. A
# child still running after this long has hung and is killed.
CHILD_TIMEOUT_SECONDS = 3600.0


def make_photo_folder(photos: list[Path], data_dir: Path, count: int, target: Path) -> Path:
    """Fill `target` with `count` copies of `photos`, cycling through them as often as needed.

    Each pass gets its own sub-folder (`pass-1/`, `pass-2/`, ...), so every
    copy has a different path and the app classifies it again. The copies go
    to a temporary folder because the shared photos are read-only.
    """
    for index, photo in enumerate(itertools.islice(itertools.cycle(photos), count)):
        copy = target / f"pass-{index // len(photos) + 1}" / photo.relative_to(data_dir)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo, copy)
    return target


def run_app(context: Context, folder: Path, count: int) -> tuple[float, float]:
    """Run `python -m desktop FOLDER --screenshot` and return its peak RSS in MB and its seconds.

    The app exits once every photo is classified and the window is saved.
    The peak comes from the kernel's accounting for the finished process
    (`os.wait4`), so it covers memory that Qt and ONNX Runtime allocate
    outside Python.

    Raises:
        RuntimeError: the app failed, or ran past `CHILD_TIMEOUT_SECONDS`.
    """
    command = [
        sys.executable, "-m", "desktop", str(folder),
        "--model", str(context.model_path), "--screenshot", str(context.temp_dir / f"memory-{count}.png"),
    ]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=subprocess_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(CHILD_TIMEOUT_SECONDS, process.kill)
    watchdog.start()
    try:
        # Reading stderr to the end before collecting the process keeps a
        # full pipe from blocking it.
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        watchdog.cancel()
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)

    if process.returncode != 0:
        raise RuntimeError(
            f"the app classifying {count:,} photos exited with status {process.returncode} "
            f"after {seconds:.0f} s ({error_summary(errors)})"
        )
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    peak_bytes = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return peak_bytes / 2**20, seconds


def measure_memory(context: Context) -> list[Figure]:
    """Compare the app's peak memory for N photos with its peak for N / 10 photos.

    Each round runs both counts, each in a fresh process, and the figure
    takes the median of the rounds.
    """
    if not hasattr(os, "wait4"):
        return [Figure(key="memory.peak", title="Peak memory", unit="MB", error="not supported here: the peak comes from os.wait4, which only Unix systems have")]

    few, many = context.sizes.memory_counts
    folders = {
        count: make_photo_folder(context.photos, context.data_dir, count, context.temp_dir / f"memory-{count}")
        for count in (few, many)
    }
    seconds: dict[int, list[float]] = {few: [], many: []}

    def peak_for(count: int):
        def measure() -> list[float]:
            peak, elapsed = run_app(context, folders[count], count)
            seconds[count].append(elapsed)
            return [peak]

        return measure

    try:
        summaries = interleave(
            {"few": peak_for(few), "many": peak_for(many)}, context.sizes.memory_rounds, warmup=False
        )
    finally:
        for folder in folders.values():
            shutil.rmtree(folder)

    ours = summaries["many"]
    baseline = summaries["few"]
    growth = ours.median / baseline.median
    return [Figure(
        key="memory.peak",
        title=f"Peak memory, app classifying {many:,} photos",
        unit="MB",
        ours=ours,
        baseline=baseline,
        baseline_name=f"{few:,} photos",
        ratio=growth,
        ratio_unit="×",
        target=f"≤ {MAX_GROWTH:.2f}× and < {MAX_PEAK_MB:g} MB",
        met=growth <= MAX_GROWTH and ours.median < MAX_PEAK_MB,
        details={
            "command": "python -m desktop FOLDER --screenshot PNG",
            "seconds": {str(count): [round(value, 1) for value in values] for count, values in seconds.items()},
            # Start-up, model loading and the final screenshot are included.
            "photos_per_second": {
                str(count): round(count / statistics.median(values), 1) for count, values in seconds.items()
            },
        },
    )]
