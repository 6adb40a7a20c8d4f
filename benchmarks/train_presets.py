"""Train each architecture preset with its recipe and measure the result.

    python -m benchmarks.train_presets [--data DIR] [--presets NAME ...] [--epochs N]
                                       [--output DIR] [--pipeline]

For every preset: train on DIR/train with the preset's recipe (in a child
process, timed), export to ONNX, and evaluate on DIR/validation through the
app's loader. Prints accuracy, training minutes and seconds per epoch, and
writes them as JSON. `--epochs` shortens every recipe, for a smoke run.

`--pipeline` also times one training epoch of the tutorial CNN fed by Keras'
`image_dataset_from_directory`, which decodes every photo each epoch, against
the project's pipeline, which decodes once and keeps uint8 arrays.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("CNN_LENS_DATA", REPO_ROOT.parent / "shared" / "data" / "cats-vs-dogs"))


def train_preset(preset: str, data: Path, output: Path, epochs: int | None) -> dict:
    """Train, export and evaluate one preset; return its figures."""
    from desktop.core.classifier import Classifier
    from training.evaluate import evaluate_folder

    run_dir = output / f"run-{preset}"
    command = [
        sys.executable, "-m", "training.train", "--data", str(data),
        "--architecture", preset, "--output", str(run_dir),
    ]
    if epochs is not None:
        command += ["--epochs", str(epochs)]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO_ROOT)
    wall_seconds = time.perf_counter() - started

    model_path = output / f"{preset}.onnx"
    subprocess.run(
        [sys.executable, "-m", "training.export", "--run", str(run_dir), "--output", str(model_path)],
        check=True, cwd=REPO_ROOT,
    )
    summary, *_ = evaluate_folder(Classifier.load(model_path), data / "validation")

    history = json.loads((run_dir / "history.json").read_text())
    with (run_dir / "history.csv").open(newline="") as handle:
        epoch_seconds = [float(row["epoch_seconds"]) for row in csv.DictReader(handle)]
    return {
        "preset": preset,
        "command": " ".join(command[1:]),
        "parameters": history["parameters"],
        "epochs": history["epochs_run"],
        "seconds_per_epoch": statistics.median(epoch_seconds),
        "training_minutes": history["training_seconds"] / 60,
        "wall_minutes_with_decoding": wall_seconds / 60,
        "validation_accuracy": summary["accuracy"],
        "n_validation_images": summary["n_images"],
    }


def compare_pipelines(data: Path) -> dict:
    """Seconds for one tutorial epoch with Keras' directory loader versus decoded arrays."""
    import keras
    import tensorflow as tf

    from training.architectures import build_model
    from training.fit import load_data, make_dataset, RunSettings

    size = (150, 150)
    keras.utils.set_random_seed(0)
    directory_dataset = keras.utils.image_dataset_from_directory(
        data / "train", image_size=size, batch_size=16, label_mode="binary", seed=0, verbose=False
    ).prefetch(tf.data.AUTOTUNE)

    settings = RunSettings(
        data=str(data), epochs=1, image_size=150, batch_size=16, seed=0, architecture="tutorial",
        validation_split=0.2, run_dir="", cache_dir=str(REPO_ROOT / ".cache" / "decoded"),
        command="", machine="",
    )
    started = time.perf_counter()
    train_set, _ = load_data(settings)
    first_decode = time.perf_counter() - started
    array_dataset = make_dataset(train_set, 16, shuffle=True, seed=0)

    timings = {}
    for name, dataset in (("image_dataset_from_directory", directory_dataset), ("decoded_arrays", array_dataset)):
        model = build_model("tutorial", size, 2, seed=0)
        model.fit(dataset.take(2), epochs=1, verbose=0)  # builds the graph before timing
        started = time.perf_counter()
        model.fit(dataset, epochs=1, verbose=0)
        timings[name] = time.perf_counter() - started
    timings["decode_or_cache_read_seconds"] = first_decode
    timings["ratio"] = timings["image_dataset_from_directory"] / timings["decoded_arrays"]
    return timings


def main(argv: list[str] | None = None) -> int:
    from training.architectures import ARCHITECTURES

    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_presets", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"photo set with train/ and validation/ (default: {DEFAULT_DATA})")
    parser.add_argument("--presets", nargs="+", choices=sorted(ARCHITECTURES), default=sorted(ARCHITECTURES), help="presets to train (default: all)")
    parser.add_argument("--epochs", type=int, help="override every recipe's epoch count (for a smoke run)")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "runs" / "benchmark", help="folder for runs, models and results.json")
    parser.add_argument("--pipeline", action="store_true", help="also compare the input pipelines on one tutorial epoch")
    args = parser.parse_args(argv)

    if not (args.data / "train").is_dir() or not (args.data / "validation").is_dir():
        parser.error(f"--data must contain train/ and validation/ folders, got {args.data}")
    args.output.mkdir(parents=True, exist_ok=True)

    from training.machine import machine_description

    results = {"machine": machine_description(), "presets": []}
    for preset in args.presets:
        results["presets"].append(train_preset(preset, args.data, args.output, args.epochs))
    if args.pipeline:
        results["pipeline"] = compare_pipelines(args.data)
    (args.output / "results.json").write_text(json.dumps(results, indent=2) + "\n")

    print(f"\nmachine: {results['machine']}")
    print(f"{'preset':<10} {'params':>10} {'epochs':>6} {'s/epoch':>8} {'train min':>9} {'val acc':>8}")
    for row in results["presets"]:
        print(
            f"{row['preset']:<10} {row['parameters']:>10,} {row['epochs']:>6} {row['seconds_per_epoch']:>8.1f} "
            f"{row['training_minutes']:>9.1f} {row['validation_accuracy']:>8.2%}"
        )
    if "pipeline" in results:
        timing = results["pipeline"]
        print(
            f"\none tutorial epoch: image_dataset_from_directory {timing['image_dataset_from_directory']:.1f} s, "
            f"decoded arrays {timing['decoded_arrays']:.1f} s ({timing['ratio']:.1f}x)"
        )
    print(f"results: {args.output / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
