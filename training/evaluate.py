"""Evaluate an exported model on a folder of labelled photos.

    python -m training.evaluate --data DIR [--model PATH] [--holdout FRACTION [--seed S]]
                                [--json] [--report DIR]

DIR contains one sub-folder per class, named as the model's labels. Every photo
goes through the app's loader and the ONNX model, exactly as in the app.
Files that cannot be decoded are listed and not counted. With `--holdout`,
only the photos that `training.train --data DIR --validation-split FRACTION
--seed S` held out of training are counted. No TensorFlow here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from desktop import DEFAULT_MODEL_PATH
from desktop.core import model_format as fmt
from desktop.core.classifier import Classifier, ModelLoadError
from desktop.core.datasets import list_labelled_files
from desktop.core.images import ImageLoadError, load_image
from desktop.core.metrics import classification_summary, format_summary
from training import missing_packages
from training.data import DEFAULT_SEED, holdout_mask

BATCH_SIZE = 64


def evaluate_folder(
    classifier: Classifier, data_dir: Path, holdout: tuple[float, int] | None = None
) -> tuple[dict, np.ndarray, list[str], list[int], list[tuple[str, str]]]:
    """Classify every photo under `data_dir/<label>/`.

    `holdout` (fraction, seed) keeps only the photos a training run on
    `data_dir` with that validation split and seed held out.

    Returns:
        (summary, probabilities (n, n_classes), paths, targets, skipped), where
        `summary` is a `classification_summary` and `skipped` lists
        (path, reason) for files that could not be decoded.

    Raises:
        ValueError: no sub-folder of `data_dir` matches a model label.
    """
    files = list_labelled_files(data_dir, classifier.labels)
    if not files.paths:
        raise ValueError(
            f"no photos found in {data_dir}/<label>/ for labels {classifier.labels}; "
            "pass a folder with one sub-folder per class"
        )

    probabilities, paths, targets, skipped = [], [], [], []
    batch, batch_paths, batch_targets = [], [], []

    def flush() -> None:
        if batch:
            predictions = classifier.predict(np.stack(batch))
            probabilities.extend(p.probabilities for p in predictions)
            paths.extend(batch_paths)
            targets.extend(batch_targets)
            batch.clear(), batch_paths.clear(), batch_targets.clear()

    for path, target in zip(files.paths, files.targets):
        try:
            batch.append(load_image(path, classifier.input_size))
        except ImageLoadError as error:
            skipped.append((str(path), error.reason))
            continue
        batch_paths.append(str(path))
        batch_targets.append(target)
        if len(batch) == BATCH_SIZE:
            flush()
    flush()

    probabilities = np.asarray(probabilities).reshape(-1, len(classifier.labels))
    if holdout is not None:
        keep = holdout_mask(targets, *holdout)
        probabilities = probabilities[keep]
        paths = [path for path, kept in zip(paths, keep) if kept]
        targets = [target for target, kept in zip(targets, keep) if kept]
    summary = classification_summary(targets, np.argmax(probabilities, axis=1), classifier.labels)
    return summary, probabilities, paths, targets, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, metavar="DIR", help="folder with one sub-folder of photos per class")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help=f"ONNX model (default: {DEFAULT_MODEL_PATH})")
    parser.add_argument(
        "--holdout", type=float, metavar="FRACTION",
        help="count only the photos a training run on DIR held out with this --validation-split",
    )
    parser.add_argument("--seed", type=int, help=f"the training run's --seed, used with --holdout (default: {DEFAULT_SEED})")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--report", type=Path, metavar="DIR", help="also write a report (Markdown and plots) into DIR")
    args = parser.parse_args(argv)

    if not args.data.is_dir():
        print(f"error: data folder not found: {args.data}", file=sys.stderr)
        return 2
    if args.holdout is not None and not 0.0 < args.holdout < 1.0:
        print(f"error: --holdout must be above 0 and below 1, got {args.holdout}", file=sys.stderr)
        return 2
    if args.seed is not None and args.holdout is None:
        print("error: --seed selects held-out photos, so it needs --holdout FRACTION", file=sys.stderr)
        return 2
    if args.holdout is not None and args.seed is None:
        args.seed = DEFAULT_SEED
    if args.report is not None:
        problem = missing_packages(("matplotlib",))
        if problem:
            print(f"error: --report draws plots with matplotlib; {problem}", file=sys.stderr)
            return 2
    try:
        classifier = Classifier.load(args.model)
        summary, probabilities, paths, targets, skipped = evaluate_folder(
            classifier, args.data, None if args.holdout is None else (args.holdout, args.seed)
        )
    except (ModelLoadError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    summary["model"] = str(args.model)
    if args.holdout is not None:
        summary["holdout"] = {"fraction": args.holdout, "seed": args.seed}
        warning = _holdout_warning(classifier, args.data, args.holdout, args.seed)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    summary["skipped"] = [{"path": path, "reason": reason} for path, reason in skipped]
    if args.report is not None:
        from training.report import write_report

        details = {"model": str(args.model), "data": str(args.data), "skipped files": str(len(skipped))}
        if args.holdout is not None:
            details["photos"] = f"the {args.holdout:g} held out with seed {args.seed}"
        write_report(
            args.report, classifier.labels, targets, probabilities, paths,
            f"Evaluation of {args.model.name} on {args.data}", details,
        )

    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        if args.holdout is not None:
            print(f"photos held out of {args.data} (fraction {args.holdout:g}, seed {args.seed})")
        print(format_summary(summary))
        if skipped:
            print(f"\nskipped {len(skipped)} unreadable file(s):")
            for path, reason in skipped:
                print(f"  {path}: {reason}")
    return 0


def _holdout_warning(classifier: Classifier, data_dir: Path, fraction: float, seed: int) -> str | None:
    """Build a warning when the model does not record holding out these photos from training."""
    try:
        held_out = json.loads(classifier.metadata.get(fmt.META_TRAINING, "{}")).get("held_out")
    except (ValueError, AttributeError):
        held_out = None
    expected = {"data": str(data_dir.resolve()), "fraction": fraction, "seed": seed}
    if held_out == expected:
        return None
    if held_out is None:
        recorded = "the model records no photos held out of its training"
    else:
        recorded = (
            f"the model held out a fraction {held_out.get('fraction')} of {held_out.get('data')} "
            f"with seed {held_out.get('seed')}"
        )
    return f"{recorded}, so some of these photos may be training photos and the accuracy too high"


if __name__ == "__main__":
    sys.exit(main())
