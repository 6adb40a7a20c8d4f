"""Figure 2: photo file to result, the project's loader against a plain Pillow path."""

from __future__ import annotations

import time
from pathlib import Path
from statistics import median

import numpy as np
from PIL import Image

from benchmarks.context import LARGE_PHOTO_SIZE, Context
from benchmarks.results import SPEEDUP, Figure
from benchmarks.timing import interleave, repeat

# Targets for the 12-megapixel JPEG: median time and speed-up over the plain path.
MAX_LARGE_PHOTO_MS = 40.0
MIN_SPEEDUP_OVER_PLAIN = 3.0


def classify_plain(classifier, path: Path):
    """Classify a photo the plain way: decode at full size, convert to RGB, resize, infer.

    Unlike `load_image`, this path neither decodes a JPEG at reduced scale
    nor applies EXIF orientation. It resizes with the same filter, so only
    the decoding differs from the project's path.
    """
    from desktop.core.images import RESIZE_FILTER

    height, width = classifier.input_size
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    resized = rgb.resize((width, height), RESIZE_FILTER)
    return classifier.predict(np.asarray(resized)[np.newaxis], feature_maps=True, attribution=True)[0]


def measure_photo_time(context: Context) -> list[Figure]:
    """Time photo to result for a sample of the shared photos and for a 12-megapixel JPEG.

    Ours is `Classifier.classify_file(path, feature_maps=True,
    attribution=True)`, the call the app's worker makes for the photo on
    screen: decode with JPEG draft scaling, apply EXIF orientation, resize,
    run the model with every output. The baseline runs the same model on
    `classify_plain`'s pixels. A third row times the app's whole worker step
    for the large photo (`analyse_photo`), which also decodes the photo for
    display and renders the feature-map tiles.
    """
    classifier = context.classifier
    sample = context.photo_sample(context.sizes.photo_sample)
    large_photo = context.large_photo
    calls = context.sizes.large_photo_calls

    def per_photo(classify):
        def measure() -> list[float]:
            samples = []
            for path in sample:
                start = time.perf_counter()
                classify(path)
                samples.append(time.perf_counter() - start)
            return samples

        return measure

    measurements = {
        "shared_ours": per_photo(lambda path: classifier.classify_file(path, feature_maps=True, attribution=True)),
        "shared_plain": per_photo(lambda path: classify_plain(classifier, path)),
        "large_ours": repeat(lambda: classifier.classify_file(large_photo, feature_maps=True, attribution=True), calls),
        "large_plain": repeat(lambda: classify_plain(classifier, large_photo), calls),
    }
    worker_error = None
    try:
        from desktop.ui.worker import analyse_photo
    except ImportError as error:
        worker_error = f"the app's worker cannot be imported ({error})"
    else:
        measurements["large_worker"] = repeat(lambda: analyse_photo(classifier, large_photo), calls)

    summaries = {name: summary.scaled(1000) for name, summary in interleave(measurements, context.sizes.rounds).items()}

    widths, heights = zip(*(_image_size(path) for path in sample))
    shared_speedup = summaries["shared_plain"].median / summaries["shared_ours"].median
    large_speedup = summaries["large_plain"].median / summaries["large_ours"].median
    large_ms = summaries["large_ours"].median
    width, height = LARGE_PHOTO_SIZE
    figures = [
        Figure(
            key="photo.shared",
            title=f"Photo to result, {len(sample)} shared photos (median {median(widths):g}×{median(heights):g})",
            unit="ms",
            ours=summaries["shared_ours"],
            baseline=summaries["shared_plain"],
            baseline_name="plain Pillow",
            ratio=shared_speedup,
            ratio_unit=SPEEDUP,
            details={"photos": [str(path) for path in sample]},
        ),
        Figure(
            key="photo.large",
            title=f"Photo to result, {width * height / 1e6:.0f}-MP JPEG ({width}×{height})",
            unit="ms",
            ours=summaries["large_ours"],
            baseline=summaries["large_plain"],
            baseline_name="plain Pillow",
            ratio=large_speedup,
            ratio_unit=SPEEDUP,
            target=f"≤ {MAX_LARGE_PHOTO_MS:g} ms and ≥ {MIN_SPEEDUP_OVER_PLAIN:g}× faster",
            met=large_ms <= MAX_LARGE_PHOTO_MS and large_speedup >= MIN_SPEEDUP_OVER_PLAIN,
            details={"file_bytes": large_photo.stat().st_size},
        ),
    ]
    figures.append(Figure(
        key="photo.large_app_worker",
        title=f"{width * height / 1e6:.0f}-MP JPEG through the app's worker step (analyse_photo)",
        unit="ms",
        ours=summaries.get("large_worker"),
        error=worker_error,
    ))
    return figures


def _image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size
