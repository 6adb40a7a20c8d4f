"""Figure 3: photos per second through the app's batch worker, against a Keras pipeline."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from benchmarks.context import DATA_SPLITS, Context
from benchmarks.results import SPEEDUP, Figure
from benchmarks.timing import interleave

MIN_PHOTOS_PER_SECOND = 300.0
MIN_SPEEDUP_OVER_KERAS = 3.0


def classify_like_the_app(classifier, paths: list[Path]) -> tuple[int, int]:
    """Classify photos with the app's batch worker, `classify_batch`, in the app's batch size.

    Each photo is new to the app, so the worker also reads its facts: the
    row's thumbnail and the photo's upright size.

    Returns:
        (photos classified, photos that failed).
    """
    from desktop.ui.worker import BATCH_SIZE, classify_batch

    classified = 0
    failed = 0
    for start in range(0, len(paths), BATCH_SIZE):
        jobs = [(start + offset, path, True) for offset, path in enumerate(paths[start : start + BATCH_SIZE])]
        outcomes, _ = classify_batch(classifier, jobs)
        for outcome in outcomes:
            if outcome.summary is None:
                failed += 1
            else:
                classified += 1
    return classified, failed


def classify_with_keras(model, folders: list[Path], image_size: tuple[int, int], batch_size: int = 32) -> int:
    """Classify every photo under the class folders of `folders` with a Keras input pipeline.

    32 photos per batch is the default of `image_dataset_from_directory`.

    Returns:
        The number of predictions.
    """
    import keras

    dataset = None
    for folder in folders:
        split = keras.utils.image_dataset_from_directory(
            folder, image_size=image_size, batch_size=batch_size, shuffle=False, verbose=False
        )
        dataset = split if dataset is None else dataset.concatenate(split)
    return len(model.predict(dataset, verbose=0))


def measure_batch(context: Context) -> list[Figure]:
    """Time a batch of photos through the app's batch worker and through Keras, in photos per second.

    The Keras model averages each photo's probabilities with its mirror
    image's when the export did that, so both sides run the same
    convolutions.

    The full run classifies every shared photo. A quick run copies a small
    sample into class folders in a temporary folder, because the Keras
    pipeline reads whole folders.
    """
    from desktop.ui.worker import BATCH_SIZE as app_batch_size

    classifier = context.classifier
    model = context.keras_predict_model(feature_maps=False)
    if context.sizes.batch_photos is None:
        folders = [context.data_dir / split for split in DATA_SPLITS]
        paths = context.photos
    else:
        folders = [context.temp_dir / "batch"]
        paths = _copy_sample(context.photo_sample(context.sizes.batch_photos), folders[0])

    outcome = {}

    def ours() -> list[float]:
        start = time.perf_counter()
        outcome["ours"] = classify_like_the_app(classifier, paths)
        return [len(paths) / (time.perf_counter() - start)]

    def keras_pipeline() -> list[float]:
        start = time.perf_counter()
        outcome["keras"] = classify_with_keras(model, folders, classifier.input_size)
        return [len(paths) / (time.perf_counter() - start)]

    summaries = interleave({"ours": ours, "keras": keras_pipeline}, context.sizes.batch_rounds)

    classified, failed = outcome["ours"]
    speedup = summaries["ours"].median / summaries["keras"].median
    rate = summaries["ours"].median
    return [Figure(
        key="batch.throughput",
        title=f"Batch of {len(paths):,} photos through the app's batch worker",
        unit="photos/s",
        ours=summaries["ours"],
        baseline=summaries["keras"],
        baseline_name="Keras dataset + predict",
        ratio=speedup,
        ratio_unit=SPEEDUP,
        target=f"≥ {MIN_PHOTOS_PER_SECOND:g} photos/s and ≥ {MIN_SPEEDUP_OVER_KERAS:g}× faster",
        met=rate >= MIN_PHOTOS_PER_SECOND and speedup >= MIN_SPEEDUP_OVER_KERAS,
        details={
            "photos": len(paths),
            "classified": classified,
            "failed": failed,
            "keras_predictions": outcome["keras"],
            "batch_size": app_batch_size,
        },
    )]


def _copy_sample(paths: list[Path], target: Path) -> list[Path]:
    """Copy photos into `target/<class folder>/`, keeping each photo's class folder name."""
    copies = []
    for path in paths:
        folder = target / path.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        copies.append(Path(shutil.copy(path, folder / path.name)))
    return copies
