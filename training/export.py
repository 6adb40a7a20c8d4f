"""Export a trained Keras model to the ONNX file the app runs.

    python -m training.export [--run RUN_DIR] [--output PATH] [--image-size PX]

With no arguments, the newest run under `runs/` replaces
`models/classifier.onnx`. The graph has one input, `image` (batch, height,
width, 3) of raw RGB values 0 to 255, and these outputs: `probabilities`
(batch, n_classes), then one output per conv block with its activations.
Labels, input size and feature-map names go into the ONNX metadata.

Before writing, the ONNX outputs are compared with the Keras model's on real
photos; export stops if any value differs by more than `PARITY_TOLERANCE`.
The file is written to a temporary name and renamed, so a running app never
reads half a model and a failed export leaves the previous model in place.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from desktop import DEFAULT_MODEL_PATH
from desktop.core import model_format as fmt
from desktop.core.datasets import list_labelled_files
from desktop.core.images import ImageLoadError, load_image
from training import missing_packages

logger = logging.getLogger("training")

PARITY_TOLERANCE = 1e-4
PARITY_PHOTOS = 16
OPSET = 17


class ExportError(Exception):
    """An export that was stopped; the previous model is untouched."""


def newest_run(runs_dir: Path) -> Path:
    """Find the most recently finished run folder under `runs_dir` that has a model."""
    from training.fit import MODEL_FILE

    candidates = sorted(runs_dir.glob(f"*/{MODEL_FILE}"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise ExportError(f"no trained model found under {runs_dir}; run python -m training.train first or pass --run")
    return candidates[-1].parent


def load_keras_model(path: Path):
    """Load a `.keras` file with safe deserialisation.

    Raises:
        ExportError: the file is missing, corrupt, or carries Python code
            (a `Lambda` layer), which safe mode does not run.
    """
    import keras

    if not path.is_file():
        raise ExportError(f"model file not found: {path}")
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except ValueError as error:
        if "safe_mode" in str(error) or "Lambda" in str(error):
            raise ExportError(
                f"{path} contains Python code (a Lambda layer) that safe loading does not run; "
                "rebuild the model without Lambda layers"
            ) from None
        raise ExportError(f"cannot load {path}: {error}") from None
    except Exception as error:  # Keras raises many types for a corrupt archive.
        raise ExportError(f"cannot load {path}: {error}") from None


def average_views(images, probabilities, model, scaled_models=(), test_time_flip: bool = False):
    """Average a classifier's probabilities over test-time views of `images`.

    `probabilities` are `model`'s outputs on `images` themselves. The other
    views: the mirror image when `test_time_flip`, and for each model of
    `scaled_models` (the same weights at another input size) the photos
    resized bilinearly to its size, mirrored too when `test_time_flip`.
    Written in Keras ops, so it runs eagerly, in a `tf.function` and on
    symbolic Keras tensors alike.
    """
    import keras

    views = [probabilities]
    if test_time_flip:
        views.append(model(keras.ops.flip(images, axis=2), training=False))
    for scaled in scaled_models:
        height, width = scaled.inputs[0].shape[1:3]
        resized = keras.ops.image.resize(images, (height, width), interpolation="bilinear")
        views.append(scaled(resized, training=False))
        if test_time_flip:
            views.append(scaled(keras.ops.flip(resized, axis=2), training=False))
    if len(views) == 1:
        return probabilities
    return sum(views[1:], views[0]) / float(len(views))


def build_forward(model, labels: list[str], novelty=None, test_time_flip: bool = False, scaled_models=()):
    """Build the function the ONNX graph computes, and its output names.

    The same function runs eagerly in Keras for the parity check and inside
    the `tf.function` that tf2onnx converts, so both sides compute the same
    thing. Its outputs: probabilities (two-class sigmoid turned into
    [1 - p, p]), each conv block's activations, then the attribution maps
    when the head has a supported shape, then the novelty distance when
    `novelty` (a fitted `NoveltyModel`) is given. The probabilities average
    the test-time views of `average_views`. The other outputs come from the
    photo as given.

    Raises:
        ExportError: the model does not fit the format (no conv blocks named
            `block<N>_act`, not 3 input channels, outputs that do not match
            the labels).
    """
    import keras
    import tensorflow as tf

    from training.architectures import feature_layer_names
    from training.explain import attribution_maps, block_statistics, find_head

    feature_names = feature_layer_names(model)
    if not feature_names:
        raise ExportError("the model has no conv-block layers named block<N>_act to export as feature maps")
    channels = model.inputs[0].shape[-1]
    if channels != 3:
        raise ExportError(f"the model input must have 3 channels (RGB), it has {channels}")
    n_outputs = model.outputs[0].shape[-1]
    expected_outputs = 1 if len(labels) == 2 else len(labels)
    if n_outputs != expected_outputs:
        raise ExportError(f"{len(labels)} labels need {expected_outputs} model output(s), the model has {n_outputs}")

    head = find_head(model, feature_names[-1])
    view_outputs = [model.outputs[0]] + [model.get_layer(n).output for n in feature_names]
    view = keras.Model(model.inputs[0], view_outputs)

    names = [fmt.PROBABILITIES_OUTPUT] + feature_names
    if head is not None:
        names.append(fmt.ATTRIBUTION_OUTPUT)
    if novelty is not None:
        names.append(fmt.NOVELTY_OUTPUT)

    def forward(images):
        outputs = view(images, training=False)
        probabilities = average_views(images, outputs[0], model, scaled_models, test_time_flip)
        if len(labels) == 2:
            probabilities = tf.concat([1.0 - probabilities, probabilities], axis=-1)
        feature_maps = list(outputs[1:1 + len(feature_names)])
        results = [probabilities] + feature_maps
        if head is not None:
            results.append(attribution_maps(head, feature_maps[-1], len(labels)))
        if novelty is not None:
            results.append(novelty.graph_distances(block_statistics(feature_maps)))
        return results

    return forward, names, head


def export_model(
    model, labels: list[str], training_info: dict, novelty=None, test_time_flip: bool = False, scaled_models=()
):
    """Convert a Keras classifier into an ONNX `ModelProto` of this project's format.

    Works for functional and `Sequential` models: it converts a `tf.function`
    over a functional view of the model, instead of tf2onnx's `from_keras`,
    which fails on Keras 3 `Sequential` models.

    Returns:
        (proto, forward): the ONNX model and the Keras-side function it was
        converted from, for `check_parity`.
    """
    import tensorflow as tf
    import tf2onnx

    forward, names, head = build_forward(model, labels, novelty, test_time_flip, scaled_models)
    height, width = model.inputs[0].shape[1:3]

    @tf.function(input_signature=[tf.TensorSpec([None, height, width, 3], tf.float32, name=fmt.INPUT_NAME)])
    def serve(images):
        return forward(images)

    try:
        proto, _ = tf2onnx.convert.from_function(serve, input_signature=serve.input_signature, opset=OPSET)
    except Exception as error:  # tf2onnx raises many unrelated types on failure.
        raise ExportError(f"tf2onnx conversion failed: {error}") from None

    _rename_outputs(proto, names)
    _name_batch_dimension(proto)
    feature_names = [n for n in names if n not in (fmt.PROBABILITIES_OUTPUT, fmt.ATTRIBUTION_OUTPUT, fmt.NOVELTY_OUTPUT)]
    metadata = {
        fmt.META_FORMAT: fmt.FORMAT_NAME,
        fmt.META_FORMAT_VERSION: str(fmt.FORMAT_VERSION),
        fmt.META_LABELS: json.dumps(labels),
        fmt.META_INPUT_SIZE: json.dumps([int(height), int(width)]),
        fmt.META_FEATURE_MAPS: json.dumps(feature_names),
        fmt.META_ARCHITECTURE: model.name,
        fmt.META_PARAMETERS: str(model.count_params()),
        fmt.META_TRAINING: json.dumps(training_info),
        fmt.META_TEST_TIME_FLIP: json.dumps(test_time_flip),
        fmt.META_TEST_TIME_SIZES: json.dumps([[int(n) for n in m.inputs[0].shape[1:3]] for m in scaled_models]),
    }
    if head is not None:
        metadata[fmt.META_ATTRIBUTION] = json.dumps(
            {"output": fmt.ATTRIBUTION_OUTPUT, "method": head.method, "layer": head.layer}
        )
    if novelty is not None:
        metadata[fmt.META_NOVELTY] = json.dumps(
            {
                "output": fmt.NOVELTY_OUTPUT,
                "threshold": novelty.threshold,
                "percentile": novelty.percentile,
                "measure": "Mahalanobis distance of each conv block's per-channel mean and standard "
                "deviation from those of the training photos",
            }
        )
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "cnn-lens training.export"
    return proto, forward


def check_parity(proto, forward, photos: np.ndarray, tolerance: float | None = None) -> float:
    """Compare ONNX Runtime's outputs with the Keras-side `forward` on `photos`.

    Returns:
        The largest absolute difference over every output.

    Raises:
        ExportError: the difference exceeds `tolerance` (default
            `PARITY_TOLERANCE`), an output is NaN or infinite, or the
            graph does not run.
    """
    import onnx
    import onnxruntime as ort

    if tolerance is None:
        tolerance = PARITY_TOLERANCE
    try:
        onnx.checker.check_model(proto)
        session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        onnx_outputs = session.run(None, {fmt.INPUT_NAME: photos.astype(np.float32)})
    except Exception as error:  # onnx and ONNX Runtime raise their own types.
        raise ExportError(f"the converted graph does not run in ONNX Runtime: {error}") from None

    keras_outputs = [np.asarray(o) for o in forward(photos.astype(np.float32))]
    # A NaN difference compares as within any tolerance, so check for it first.
    for name, ours, theirs in zip((o.name for o in session.get_outputs()), onnx_outputs, keras_outputs):
        if not (np.all(np.isfinite(ours)) and np.all(np.isfinite(theirs))):
            raise ExportError(
                f"the model's {name} output is not finite (NaN or infinity) on real photos because training "
                "diverged. Train again with other options, for example a smaller --mixup. Model not written"
            )
    worst = 0.0
    for name, ours, theirs in zip((o.name for o in session.get_outputs()), onnx_outputs, keras_outputs):
        difference = float(np.max(np.abs(ours - theirs)))
        logger.info("Parity %s: max abs difference %.2e", name, difference)
        worst = max(worst, difference)
    if worst > tolerance:
        raise ExportError(
            f"ONNX and Keras outputs differ by up to {worst:.2e} (tolerance {tolerance:.0e}); model not written"
        )
    return worst


def write_atomically(data: bytes, path: Path) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates the file readable by its owner only. A model file
        # gets the permissions a plain write would give it.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def parity_photos(data_dir: str, labels: list[str], size: tuple[int, int], count: int = PARITY_PHOTOS) -> np.ndarray:
    """Load up to `count` real photos, spread over the classes, from a run's data folder."""
    from training.data import find_splits

    train_dir, validation_dir = find_splits(data_dir)
    files = list_labelled_files(validation_dir or train_dir, labels)
    per_class = max(1, count // len(labels))
    photos = []
    for target in range(len(labels)):
        members = (path for path, t in zip(files.paths, files.targets) if t == target)
        loaded = 0
        for path in members:
            if loaded == per_class:
                break
            try:
                photos.append(load_image(path, size))
                loaded += 1
            except ImageLoadError:
                continue
    if not photos:
        raise ExportError(f"no readable photo under {data_dir} for the parity check")
    return np.stack(photos)


def fit_novelty(model, settings):
    """Fit the novelty score on the run's training photos, at the model's input size.

    The threshold is the `NOVELTY_PERCENTILE` of the run's validation photos,
    so about 5% of photos like the validation set are flagged.
    """
    import dataclasses

    import keras

    from training.architectures import feature_layer_names
    from training.explain import NoveltyModel, block_statistics
    from training.fit import load_data

    height, width = model.inputs[0].shape[1:3]
    if height != width:
        raise ExportError(f"export needs a square model input, got {height}x{width}")
    train_set, validation_set = load_data(dataclasses.replace(settings, image_size=int(height)))
    feature_model = keras.Model(model.inputs[0], [model.get_layer(n).output for n in feature_layer_names(model)])

    def statistics(images: np.ndarray) -> np.ndarray:
        batches = []
        for start in range(0, len(images), 64):
            maps = feature_model(images[start:start + 64].astype(np.float32), training=False)
            batches.append(np.asarray(block_statistics(maps)))
        return np.concatenate(batches)

    train_features = statistics(train_set.images)
    novelty = NoveltyModel.fit(train_features, statistics(validation_set.images))
    logger.info(
        "Novelty: %d block statistics, threshold %.2f (%.0fth percentile of validation photos)",
        train_features.shape[1], novelty.threshold, novelty.percentile,
    )
    return novelty


def export_size(settings, image_size: int | None = None) -> int:
    """Input size of the exported model: `image_size`, else the training size times the preset's export scale."""
    from training.architectures import RECIPES

    if image_size is not None:
        return image_size
    recipe = RECIPES.get(settings.architecture)
    return round(settings.image_size * recipe.export_scale) if recipe is not None else settings.image_size


def extra_view_sizes(settings, size: int, sizes: list[int] | None = None) -> list[int]:
    """Return the other input sizes whose probabilities the export averages in.

    These are `sizes` when given, else the preset's test-time scales of the
    training size. Sizes equal to the exported input `size` are dropped,
    because that view is always there.
    """
    from training.architectures import RECIPES

    if sizes is None:
        recipe = RECIPES.get(settings.architecture)
        scales = recipe.test_time_scales if recipe is not None else ()
        sizes = [round(settings.image_size * scale) for scale in scales]
    return sorted({s for s in sizes if s != size}, reverse=True)


def export_run(
    run_dir: Path,
    output: Path,
    test_time_flip: bool = True,
    image_size: int | None = None,
    extra_sizes: list[int] | None = None,
) -> Path:
    """Export the model of `run_dir` to `output`, with its report beside it.

    `image_size` sets the exported input size (default: `export_size`);
    `extra_sizes` the other sizes whose probabilities are averaged in
    (default: `extra_view_sizes`).
    """
    from training.architectures import ARCHITECTURES, resize_input
    from training.fit import LABELS_FILE, MODEL_FILE, RunSettings
    from training.report import SUMMARY_FILE

    settings = RunSettings.read(run_dir)
    labels = json.loads((run_dir / LABELS_FILE).read_text())
    trained = load_keras_model(run_dir / MODEL_FILE)
    training_info = _training_info(run_dir, settings, SUMMARY_FILE)

    size = export_size(settings, image_size)
    extra_sizes = extra_view_sizes(settings, size, extra_sizes)

    def model_at(resized_size: int):
        """Return the trained model with its input resized to `resized_size` pixels square."""
        if resized_size == settings.image_size:
            return trained
        if settings.architecture not in ARCHITECTURES:
            raise ExportError(f"cannot resize a model of unknown architecture {settings.architecture!r}; export it at {settings.image_size}")
        try:
            return resize_input(trained, settings.architecture, (resized_size, resized_size))
        except ValueError as error:
            raise ExportError(f"{error}; export it with --image-size {settings.image_size} and no --test-time-sizes") from None

    model = model_at(size)
    scaled_models = [model_at(extra) for extra in extra_sizes]
    if size != settings.image_size:
        logger.info("Exporting at %dx%d pixels; trained at %dx%d", size, size, settings.image_size, settings.image_size)
    if extra_sizes:
        logger.info("Averaging in each photo resized to %s pixels", ", ".join(f"{s}x{s}" for s in extra_sizes))
    training_info["image_size"] = settings.image_size

    novelty = fit_novelty(model, settings)
    proto, forward = export_model(model, labels, training_info, novelty, test_time_flip, scaled_models)
    photos = parity_photos(settings.data, labels, (size, size))
    difference = check_parity(proto, forward, photos)
    logger.info("Parity on %d real photos: max abs difference %.2e", len(photos), difference)

    summary = _evaluate_exported(proto, settings.data)
    if summary is not None:
        training_info["keras_validation_accuracy"] = training_info.get("validation_accuracy")
        training_info["validation_accuracy"] = summary["accuracy"]
        _set_metadata(proto, fmt.META_TRAINING, json.dumps(training_info))

    write_atomically(proto.SerializeToString(), output)
    _copy_report(run_dir, output, summary, test_time_flip, (settings.image_size, size), extra_sizes)
    return output


def _evaluate_exported(proto, data_dir: str) -> dict | None:
    """Accuracy of the converted graph on the run's validation/ folder, through the app's loader.

    Returns None when the run held out part of train/ instead, because those
    photos are not in a folder of their own.
    """
    from desktop.core.classifier import Classifier
    from training.data import find_splits
    from training.evaluate import evaluate_folder

    _, validation_dir = find_splits(data_dir)
    if validation_dir is None:
        logger.info(
            "The run has no validation/ folder, so the exported model was not scored. "
            "Score it with python -m training.evaluate --holdout FRACTION on the folder it trained on"
        )
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "candidate.onnx"
        path.write_bytes(proto.SerializeToString())
        summary, *_ = evaluate_folder(Classifier.load(path), validation_dir)
    summary["data"] = str(validation_dir)
    logger.info("Exported model: %.2f%% on %d validation photos", 100 * summary["accuracy"], summary["n_images"])
    return summary


def _set_metadata(proto, key: str, value: str) -> None:
    for entry in proto.metadata_props:
        if entry.key == key:
            entry.value = value
            return
    entry = proto.metadata_props.add()
    entry.key, entry.value = key, value


def report_folder(model_path: Path) -> Path:
    """Return the report folder of an exported model: `<stem>-report/` beside it."""
    return model_path.with_name(f"{model_path.stem}-report")


def _training_info(run_dir: Path, settings, summary_file: str) -> dict:
    from training.data import find_splits
    from training.fit import HISTORY_FILE

    info = {"architecture": settings.architecture, "seed": settings.seed, "command": settings.command, "run": run_dir.name}
    train_dir, validation_dir = find_splits(settings.data)
    if validation_dir is None:
        # Lets `training.evaluate --holdout` check that it scores photos this model never trained on.
        info["held_out"] = {"data": str(train_dir.resolve()), "fraction": settings.validation_split, "seed": settings.seed}
    history_path = run_dir / HISTORY_FILE
    if history_path.is_file():
        record = json.loads(history_path.read_text())
        info.update(
            epochs=record.get("epochs_run"),
            training_minutes=round(record.get("training_seconds", 0.0) / 60, 1),
            date=record.get("finished"),
        )
    summary_path = run_dir / summary_file
    if summary_path.is_file():
        info["validation_accuracy"] = json.loads(summary_path.read_text())["accuracy"]
    return info


def _copy_report(
    run_dir: Path,
    output: Path,
    summary: dict | None,
    test_time_flip: bool,
    sizes: tuple[int, int],
    extra_sizes: tuple[int, ...] | list[int] = (),
) -> None:
    from desktop.core.metrics import format_summary
    from training.report import CONFUSION_PLOT, HISTORY_PLOT, REPORT_FILE, SUMMARY_FILE

    target = report_folder(output)
    target.mkdir(parents=True, exist_ok=True)
    for name in (REPORT_FILE, SUMMARY_FILE, HISTORY_PLOT, CONFUSION_PLOT):
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, target / name)
    if summary is None:
        return

    flip = "on: each photo's probabilities are averaged with its mirror image's" if test_time_flip else "off"
    trained, exported = sizes
    extra_views = ", ".join(f"{n}×{n}" for n in extra_sizes)
    scales = ""
    also_classified = ""
    if extra_sizes:
        scales = f"Each photo is also classified resized to {extra_views} pixels inside the graph, and all the probabilities are averaged. "
        also_classified = f" and also classified at {extra_views} pixels"
    section = [
        "",
        f"## Exported model: {output.name}",
        "",
        "Accuracy of the ONNX file itself, through ONNX Runtime and the app's loader, "
        f"on {summary['data']}. Input size: {exported}×{exported} pixels (trained at "
        f"{trained}×{trained}). Test-time flip: {flip}. {scales}The figures above are the Keras "
        "model's at its training size, without the flip.",
        "",
        "```",
        format_summary(summary),
        "```",
        "",
    ]
    report = target / REPORT_FILE
    if not report.is_file():
        report.write_text("\n".join(section))
        return
    # The exported file's accuracy leads, since it is what the app shows.
    title, _, body = report.read_text().partition("\n")
    lead = (
        f"\n**{output.name}: {summary['accuracy']:.2%} on {summary['n_images']} photos of {summary['data']}**, "
        f"exported at {exported}×{exported} pixels with test-time flip {'on' if test_time_flip else 'off'}"
        f"{also_classified} (last section). The tables below are the Keras model's at its training size.\n"
    )
    report.write_text(title + "\n" + lead + body + "\n".join(section))


def _rename_outputs(proto, names: list[str]) -> None:
    graph = proto.graph
    if len(graph.output) != len(names):
        raise ExportError(f"expected {len(names)} graph outputs, tf2onnx produced {len(graph.output)}")
    renames = {output.name: name for output, name in zip(graph.output, names)}
    for node in graph.node:
        node.output[:] = [renames.get(n, n) for n in node.output]
        node.input[:] = [renames.get(n, n) for n in node.input]
    for output in graph.output:
        output.name = renames[output.name]


def _name_batch_dimension(proto) -> None:
    for value in list(proto.graph.input) + list(proto.graph.output):
        dimension = value.type.tensor_type.shape.dim[0]
        dimension.ClearField("dim_value")
        dimension.dim_param = fmt.BATCH_DIMENSION


def main(argv: list[str] | None = None) -> int:
    problem = missing_packages()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m training.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="run folder made by training.train (default: the newest under runs/)")
    parser.add_argument(
        "--test-time-flip", action=argparse.BooleanOptionalAction, default=True,
        help="average the probabilities of each photo and its mirror image; this doubles inference "
        "time and raised the shipped compact model from 88.4%% to 90.0%% on the validation photos (default: on)",
    )
    parser.add_argument(
        "--image-size", type=int, metavar="PX",
        help="input size of the exported model; presets that end in global pooling accept sizes other than "
        "the training size (default: the training size times the preset's export scale, 1.25 for compact)",
    )
    parser.add_argument(
        "--test-time-sizes", type=int, nargs="*", metavar="PX",
        help="also classify each photo resized to these sizes (32 to 1024) inside the graph and average the "
        "probabilities; with no value, only the input size (default: the preset's test-time scales, none for "
        "the current presets)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL_PATH, help=f"ONNX file to write (default: {DEFAULT_MODEL_PATH})")
    args = parser.parse_args(argv)
    for option, sizes in (("--image-size", [args.image_size]), ("--test-time-sizes", args.test_time_sizes or [])):
        for size in sizes:
            if size is not None and not 32 <= size <= 1024:
                parser.error(f"{option} must be between 32 and 1024 pixels, got {size}")

    from training.train import DEFAULT_RUNS_DIR

    try:
        run_dir = args.run or newest_run(DEFAULT_RUNS_DIR)
        if not run_dir.is_dir():
            raise ExportError(f"run folder not found: {run_dir}")
        output = export_run(run_dir, args.output, args.test_time_flip, args.image_size, args.test_time_sizes)
    except (ExportError, FileNotFoundError) as error:
        print(f"error: {error}; the existing model was not changed", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: cannot write {args.output}: {error}; the existing model was not changed", file=sys.stderr)
        return 1
    print(f"Exported {run_dir} to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
