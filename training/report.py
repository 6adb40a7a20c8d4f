"""Write a training or evaluation report a person can read: a Markdown page,
a plot of loss and accuracy per epoch, and the confusion matrix as a picture.

Used by training (on the validation photos, through Keras) and by
`python -m training.evaluate --report` (on any folder, through ONNX).
No TensorFlow import here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from desktop.core.metrics import classification_summary, format_summary

REPORT_FILE = "report.md"
SUMMARY_FILE = "metrics.json"
HISTORY_PLOT = "history.png"
CONFUSION_PLOT = "confusion_matrix.png"


def write_report(
    folder: Path,
    labels: Sequence[str],
    targets: Sequence[int],
    probabilities: np.ndarray,
    paths: Sequence[str],
    title: str,
    details: dict[str, str] | None = None,
    history: dict[str, list[float]] | None = None,
    n_wrong: int = 10,
) -> dict:
    """Write `report.md`, `metrics.json` and the plots into `folder`.

    Args:
        labels: class names in model order.
        targets: true label index per photo.
        probabilities: (n, n_classes) model probabilities per photo.
        paths: file path per photo, for the list of wrong predictions.
        title: the report's heading.
        details: rows of the "Run" table (command, seed, time, machine, ...).
        history: per-epoch Keras metrics, for the loss and accuracy plot.
        n_wrong: how many of the most confidently wrong photos to list.

    Returns:
        The `classification_summary` of the predictions.
    """
    folder.mkdir(parents=True, exist_ok=True)
    predictions = np.argmax(probabilities, axis=1)
    summary = classification_summary(targets, predictions, labels)
    (folder / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")

    _plot_confusion(folder / CONFUSION_PLOT, summary)
    lines = [f"# {title}", ""]
    if details:
        lines += ["| | |", "|---|---|"] + [f"| {key} | {value} |" for key, value in details.items()] + [""]
    lines += ["## Accuracy", "", "```", format_summary(summary), "```", ""]
    lines += [f"![confusion matrix]({CONFUSION_PLOT})", ""]
    if history:
        _plot_history(folder / HISTORY_PLOT, history)
        lines += ["## Training curves", "", f"![loss and accuracy per epoch]({HISTORY_PLOT})", ""]

    wrong = np.flatnonzero(predictions != np.asarray(targets))
    if len(wrong):
        confidence = probabilities[wrong, predictions[wrong]]
        order = wrong[np.argsort(-confidence)][:n_wrong]
        lines += ["## Most confidently wrong", "", "| file | true | predicted | confidence |", "|---|---|---|---|"]
        for index in order:
            lines.append(
                f"| {Path(paths[index]).name} | {labels[targets[index]]} | "
                f"{labels[predictions[index]]} | {probabilities[index, predictions[index]]:.1%} |"
            )
        lines.append("")

    (folder / REPORT_FILE).write_text("\n".join(lines))
    return summary


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_history(path: Path, history: dict[str, list[float]]) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, metric in zip(axes, ("loss", "accuracy")):
        for prefix, name in (("", "training"), ("val_", "validation")):
            values = history.get(prefix + metric)
            if values:
                axis.plot(range(1, len(values) + 1), values, label=name)
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _plot_confusion(path: Path, summary: dict) -> None:
    plt = _pyplot()
    matrix = np.asarray(summary["confusion_matrix"])
    labels = summary["labels"]
    size = 2.0 + 0.8 * len(labels)
    figure, axis = plt.subplots(figsize=(size, size))
    axis.imshow(matrix, cmap="Blues")
    axis.set_xticks(range(len(labels)), labels)
    axis.set_yticks(range(len(labels)), labels)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for row in range(len(labels)):
        for column in range(len(labels)):
            count = matrix[row, column]
            axis.text(column, row, str(count), ha="center", va="center",
                      color="white" if count > threshold else "black")
    axis.set_title(f"accuracy {summary['accuracy']:.1%}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_run_report(run_dir: Path, model, validation_set, settings, record: dict) -> dict:
    """Write the report of a finished training run, from the Keras model on its validation photos."""
    probabilities = model.predict(validation_set.images.astype(np.float32), batch_size=64, verbose=0)
    if probabilities.shape[1] == 1:
        probabilities = np.concatenate([1.0 - probabilities, probabilities], axis=1)
    details = {
        "command": f"`{settings.command}`",
        "architecture": settings.architecture,
        "parameters": f"{record['parameters']:,}",
        "seed": str(settings.seed),
        "epochs": str(record["epochs_run"]),
        "training time": f"{record['training_seconds'] / 60:.1f} min",
        "finished": record["finished"],
        "machine": settings.machine,
        "data": settings.data,
    }
    return write_report(
        Path(run_dir), validation_set.labels, validation_set.targets, probabilities,
        validation_set.paths, "Training report", details, record["history"],
    )
