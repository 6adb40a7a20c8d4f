"""Plot validation accuracy against training time for finished training runs.

    python -m benchmarks.training_curves RUN_DIR[=NAME][@SECONDS] ... [--output PNG]

Each run folder made by `training.train` logs `val_accuracy` and
`epoch_seconds` per epoch in `history.csv`. The plot puts the cumulative
training minutes on the x axis, so runs of different recipes compare by the
time they cost, and marks the 30-minute budget. Runs logged before
`epoch_seconds` existed are left out with a message, unless `@SECONDS` gives
the seconds per epoch to assume, for example those of a timed run of the
same architecture.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
from pathlib import Path

BUDGET_MINUTES = 30


def read_curve(run_dir: Path, epoch_seconds: float | None = None) -> tuple[list[float], list[float]] | None:
    """Return (cumulative minutes, validation accuracy) per epoch, or None without epoch times.

    `epoch_seconds` replaces the logged epoch times when given.
    """
    path = run_dir / "history.csv"
    if not path.is_file():
        return None
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        return None
    if epoch_seconds is not None:
        seconds = [epoch_seconds] * len(rows)
    elif "epoch_seconds" in rows[0]:
        seconds = [float(row["epoch_seconds"]) for row in rows]
    else:
        return None
    minutes = list(itertools.accumulate(value / 60 for value in seconds))
    return minutes, [float(row["val_accuracy"]) for row in rows]


def plot(curves: dict[str, tuple[list[float], list[float]]], output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=110)
    for name, (minutes, accuracy) in curves.items():
        axes.plot(minutes, [100 * a for a in accuracy], label=name, linewidth=1.2)
    axes.axvline(BUDGET_MINUTES, color="grey", linestyle="--", linewidth=1)
    axes.text(BUDGET_MINUTES, 51, f" {BUDGET_MINUTES}-minute budget", color="grey", fontsize=8)
    axes.axhline(90, color="grey", linestyle=":", linewidth=1)
    axes.text(axes.get_xlim()[1], 90.4, "90% target ", color="grey", fontsize=8, horizontalalignment="right")
    axes.set_xlabel("training minutes (cumulative epoch time, 2 CPU cores)")
    axes.set_ylabel("validation accuracy, Keras, no flip (%)")
    axes.set_ylim(50, 95)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training_curves", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "runs", nargs="+",
        help="run folders, each optionally followed by =NAME for the legend and @SECONDS per epoch to assume",
    )
    parser.add_argument("--output", type=Path, default=Path("docs/training-curves.png"), help="PNG to write")
    args = parser.parse_args(argv)

    curves = {}
    for spec in args.runs:
        spec, _, seconds = spec.partition("@")
        folder, _, name = spec.partition("=")
        try:
            epoch_seconds = float(seconds) if seconds else None
        except ValueError:
            parser.error(f"@SECONDS must be a number of seconds per epoch, got {seconds!r} in {spec}")
        curve = read_curve(Path(folder), epoch_seconds)
        if curve is None:
            print(
                f"skipped {folder}: history.csv is missing or has no epoch_seconds column; "
                "add @SECONDS after the folder to assume an epoch time",
                file=sys.stderr,
            )
            continue
        curves[name or Path(folder).name] = curve
        print(f"{name or folder}: {curve[0][-1]:.1f} min, last {100 * curve[1][-1]:.1f}%, best {100 * max(curve[1]):.1f}%")
    if not curves:
        parser.error("none of the runs has epoch times to plot")
    plot(curves, args.output)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
