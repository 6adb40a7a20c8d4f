"""Classification results of many photos: evaluation against true labels and CSV export.

No Qt here. The window turns its rows into `ResultRecord`s and calls these
functions, so the figures it shows and the files it writes are testable
without a display.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.core.metrics import classification_summary


@dataclass(frozen=True)
class ResultRecord:
    """One classified photo: its probabilities, its true label if known, and the model behind them."""

    path: Path
    labels: tuple[str, ...]  # the model's labels, in output order
    probabilities: tuple[float, ...]  # one per label, 0 to 1, summing to 1
    true_label: str | None = None
    model: str = ""  # the model file that produced the probabilities
    model_modified: str = ""  # that file's modification time, ISO 8601

    @property
    def predicted_index(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def label(self) -> str:
        return self.labels[self.predicted_index]

    @property
    def confidence(self) -> float:
        """Probability of the predicted label, 0 to 1."""
        return float(self.probabilities[self.predicted_index])


@dataclass(frozen=True)
class Evaluation:
    """Figures for the photos whose true label is one of the model's labels.

    `summary` is a `metrics.classification_summary`. `cells` maps each
    (true index, predicted index) pair of the confusion matrix to the
    positions, in the records passed to `evaluate_records`, of its photos.
    """

    summary: dict
    cells: dict[tuple[int, int], list[int]]

    @property
    def misclassified(self) -> list[int]:
        """Positions of the records whose prediction differs from the true label."""
        return sorted(
            position
            for (true, predicted), positions in self.cells.items()
            if true != predicted
            for position in positions
        )


def evaluate_records(records: Sequence[ResultRecord], labels: Sequence[str]) -> Evaluation:
    """Compare predictions with true labels, as `training.evaluate` does.

    Records without a true label, or whose true label is not in `labels`,
    are left out. Records must come from a model with these `labels`.

    Raises:
        ValueError: a record's labels differ from `labels`.
    """
    labels = tuple(labels)
    index_of = {label: index for index, label in enumerate(labels)}
    targets: list[int] = []
    predictions: list[int] = []
    cells: dict[tuple[int, int], list[int]] = {}
    _check_labels(records, labels)
    for position, record in enumerate(records):
        target = index_of.get(record.true_label) if record.true_label is not None else None
        if target is None:
            continue
        predicted = record.predicted_index
        targets.append(target)
        predictions.append(predicted)
        cells.setdefault((target, predicted), []).append(position)
    return Evaluation(classification_summary(targets, predictions, labels), cells)


def csv_header(labels: Sequence[str]) -> list[str]:
    """Column names of `write_results_csv` for a model with these labels."""
    return [
        "path",
        "label",
        "confidence",
        *(f"probability_{label}" for label in labels),
        "true_label",
        "model",
        "model_modified",
    ]


def write_results_csv(path: str | os.PathLike, records: Sequence[ResultRecord], labels: Sequence[str]) -> int:
    """Write one CSV row per record and return how many were written.

    Columns are those of `csv_header`: the photo's path, the predicted label,
    its confidence, the probability of each label (0 to 1, six decimals),
    the true label (empty when unknown), and the model file and its
    modification time. The file is written to a temporary name and renamed,
    so a failed export leaves an earlier file intact.

    Raises:
        ValueError: a record's labels differ from `labels`.
        OSError: the file cannot be written.
    """
    path = Path(path)
    _check_labels(records, labels)

    # A plain open() (not mkstemp) gives the file the user's usual permissions.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(csv_header(labels))
            for record in records:
                writer.writerow([
                    str(record.path),
                    record.label,
                    f"{record.confidence:.6f}",
                    *(f"{probability:.6f}" for probability in record.probabilities),
                    record.true_label or "",
                    record.model,
                    record.model_modified,
                ])
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return len(records)


def _check_labels(records: Sequence[ResultRecord], labels: Sequence[str]) -> None:
    for record in records:
        if record.labels != tuple(labels):
            raise ValueError(
                f"record {record.path} has labels {list(record.labels)}, expected {list(labels)}"
            )
