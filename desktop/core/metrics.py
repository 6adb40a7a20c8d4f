"""Classification metrics: accuracy, confusion matrix, per-class precision and
recall. Shared by `training.evaluate`, the training report and the app."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(targets: Sequence[int], predictions: Sequence[int], n_classes: int) -> np.ndarray:
    """Count (true class, predicted class) pairs: rows are true, columns predicted."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(targets, dtype=np.int64), np.asarray(predictions, dtype=np.int64)), 1)
    return matrix


def classification_summary(
    targets: Sequence[int], predictions: Sequence[int], labels: Sequence[str]
) -> dict:
    """Summarise predictions against true labels.

    Returns:
        A JSON-ready dict with `accuracy` (0 to 1), `n_images`, `labels`,
        `confusion_matrix` (rows true, columns predicted) and `per_class`,
        which maps each label to its `precision`, `recall` and `support`.
        Precision of a class that was never predicted is reported as 0.
    """
    matrix = confusion_matrix(targets, predictions, len(labels))
    total = int(matrix.sum())
    correct = int(np.trace(matrix))

    per_class = {}
    for index, label in enumerate(labels):
        true_positive = int(matrix[index, index])
        predicted = int(matrix[:, index].sum())
        support = int(matrix[index, :].sum())
        per_class[label] = {
            "precision": true_positive / predicted if predicted else 0.0,
            "recall": true_positive / support if support else 0.0,
            "support": support,
        }

    return {
        "accuracy": correct / total if total else 0.0,
        "n_images": total,
        "labels": list(labels),
        "confusion_matrix": matrix.tolist(),
        "per_class": per_class,
    }


def format_summary(summary: dict) -> str:
    """Render a `classification_summary` as a plain-text table."""
    labels = summary["labels"]
    width = max(10, *(len(label) for label in labels))
    lines = [
        f"accuracy: {summary['accuracy']:.2%} on {summary['n_images']} images",
        "",
        f"{'class':<{width}}  precision  recall  support",
    ]
    for label in labels:
        stats = summary["per_class"][label]
        lines.append(
            f"{label:<{width}}  {stats['precision']:>9.2%}  {stats['recall']:>6.2%}  {stats['support']:>7d}"
        )

    lines += ["", "confusion matrix (rows: true class, columns: predicted class)"]
    lines.append(" " * width + "  " + "  ".join(f"{label:>{width}}" for label in labels))
    for label, row in zip(labels, summary["confusion_matrix"]):
        lines.append(f"{label:<{width}}  " + "  ".join(f"{count:>{width}d}" for count in row))
    return "\n".join(lines)
