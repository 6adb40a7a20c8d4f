"""Classify photos on QThreadPool threads and report the results by signal.

Two kinds of task run off the GUI thread:

- `BatchTask` classifies a chunk of photos with one ONNX call and no feature
  maps, and makes each photo's thumbnail. It is what fills the results table.
- `DetailTask` classifies the photo on screen again with feature maps and
  attribution, and decodes it at display size.

Both take a `ModelVersion` and report its generation with every result, so
a result always comes from one model, even when the model file is replaced
while the task runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Signal
from PySide6.QtGui import QImage

from desktop.core.classifier import Classifier, Prediction
from desktop.core.images import RESIZE_FILTER, DecodedImage, ImageLoadError, decode_image, to_model_input
from desktop.ui.feature_tiles import colorize_channels, normalize_channels
from desktop.ui.model_manager import ModelVersion
from desktop.ui.qimages import pil_to_qimage, rgb_array_to_qimage

logger = logging.getLogger(__name__)

# Maximum length of the longer side, in pixels, of the photo kept for the
# detail view. Larger photos are shrunk on decode, so a 24-megapixel file
# costs no more memory than a screen-sized one.
PHOTO_MAX_SIDE = 1024

# Maximum length of the longer side, in pixels, of each row's thumbnail:
# twice the table's 48-pixel thumbnail column, so it stays sharp on screens
# with a device pixel ratio of 2. A 4:3 thumbnail is 96x72x3 bytes, about
# 20 KB; `ThumbnailCache` keeps only the recently shown ones.
THUMBNAIL_MAX_SIDE = 96

# Photos per ONNX Runtime call when filling the table. For the shipped
# 150x150 model on a busy 2-core Linux machine, batches of 16 took about
# 5.3 ms per photo against 6.7 ms one at a time. Larger batches make the
# table fill in bigger steps and a cancel wait longer for the batch in flight.
BATCH_SIZE = 16


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    """Facts of a photo file that no model changes: upright size and loader notes."""

    upright_size: tuple[int, int]  # (width, height) in pixels of the full-size photo, right way up
    notes: tuple[str, ...]  # remarks from the loader, such as "first of 3 frames used"


@dataclass(frozen=True, slots=True)
class PhotoSummary:
    """One model's prediction for a photo, as its row in the results table shows it."""

    label: str
    confidence: float  # probability of `label`, 0 to 1
    probabilities: dict[str, float]  # every label, in model order, 0 to 1
    novelty: float | None  # distance from the training photos' features; None when the model lacks it


@dataclass(frozen=True)
class FeatureMapTiles:
    """One conv block's activations, rendered as one colour tile per channel.

    `levels` keeps each channel scaled to 0..255 on its own, for overlays
    and the enlarged view. `minimums`, `maximums` and `means` are each
    channel's raw activation statistics, shape (channels,).
    """

    name: str
    shape: tuple[int, int, int]  # (height, width, channels) of the activations
    tiles: QImage  # the channel tiles stacked top to bottom, each height x width
    levels: np.ndarray  # uint8 (channels, height, width)
    minimums: np.ndarray
    maximums: np.ndarray
    means: np.ndarray

    @property
    def channel_count(self) -> int:
        return self.shape[2]


@dataclass(frozen=True)
class PhotoDetail:
    """Photo, feature-map tiles and attribution maps of the photo on screen."""

    photo: QImage  # upright, at most PHOTO_MAX_SIDE pixels on its longer side
    feature_maps: tuple[FeatureMapTiles, ...]  # one per conv block, shallow to deep
    # (height, width, n_classes) at the last conv block's resolution, signed,
    # in logit units; None when the model has no attribution output.
    attribution: np.ndarray | None


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """The result of one photo of a batch: a summary, or the reason it failed."""

    job_id: int
    summary: PhotoSummary | None
    facts: PhotoFacts | None  # None when the caller already had them, or on failure
    error: str | None
    # Upright, at most THUMBNAIL_MAX_SIDE pixels on its longer side; made
    # with the facts, from the same decode.
    thumbnail: QImage | None = None


def summarize_prediction(prediction: Prediction) -> PhotoSummary:
    return PhotoSummary(
        label=prediction.label,
        confidence=prediction.confidence,
        probabilities={
            label: float(probability)
            for label, probability in zip(prediction.labels, prediction.probabilities)
        },
        novelty=prediction.novelty,
    )


def read_thumbnail(path: Path) -> QImage:
    """Decode a photo at thumbnail size and return it upright, at most THUMBNAIL_MAX_SIDE pixels.

    Raises:
        ImageLoadError: the file is missing, unreadable or not an image.
    """
    return make_thumbnail(decode_image(path, draft_size=(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE)))


def make_thumbnail(decoded: DecodedImage) -> QImage:
    thumbnail = decoded.image.copy()
    thumbnail.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE), RESIZE_FILTER)
    return pil_to_qimage(thumbnail)


def photo_facts(decoded: DecodedImage) -> PhotoFacts:
    """Return the upright size and loader notes of a decoded photo."""
    return PhotoFacts(
        upright_size=_upright_size(decoded.original_size, decoded.image.size),
        notes=tuple(decoded.notes),
    )


def classify_batch(
    classifier: Classifier,
    jobs: Sequence[tuple[int, Path, bool]],
    is_cancelled: Callable[[], bool] = lambda: False,
) -> tuple[list[BatchOutcome], list[int]]:
    """Classify photos with one `Classifier.predict` call, without feature maps.

    Args:
        classifier: the model.
        jobs: (job id, photo path, whether to read the photo's facts and
            thumbnail) per photo.
        is_cancelled: checked before each photo is loaded.

    Returns:
        The outcomes of the photos loaded before cancelling, in job order,
        and the job ids left unclassified because `is_cancelled` returned
        True. Model inputs come from the shared loader's `decode_image` and
        `to_model_input`, as in `load_image`, which `training.evaluate` uses,
        so both see the same pixels.
    """
    outcomes: dict[int, BatchOutcome] = {}
    inputs: list[np.ndarray] = []
    loaded: list[tuple[int, PhotoFacts | None, QImage | None]] = []

    for position, (job_id, path, needs_facts) in enumerate(jobs):
        if is_cancelled():
            # Photos loaded but not yet classified are cancelled with the
            # rest. Load failures found so far are reported as they are.
            failures = [outcomes[job] for job, _, _ in jobs[:position] if job in outcomes]
            unclassified = [job for job, _, _ in loaded] + [job for job, _, _ in jobs[position:]]
            return failures, unclassified
        try:
            # One decode serves the model input and the thumbnail. These are
            # the calls `load_image` makes, so the pixels are the same.
            height, width = classifier.input_size
            decoded = decode_image(path, draft_size=(width, height))
            model_input = to_model_input(decoded.image, classifier.input_size)
            facts = photo_facts(decoded) if needs_facts else None
            thumbnail = make_thumbnail(decoded) if needs_facts else None
        except ImageLoadError as error:
            outcomes[job_id] = BatchOutcome(job_id, None, None, error.reason)
            continue
        inputs.append(model_input)
        loaded.append((job_id, facts, thumbnail))

    if inputs:
        try:
            predictions = classifier.predict(np.stack(inputs))
        except Exception as error:  # noqa: BLE001 - every job of the batch must get an outcome
            logger.exception("Classifying a batch of %d photos failed", len(inputs))
            reason = f"classification failed ({type(error).__name__}: {error})"
            predictions = None
        for index, (job_id, facts, thumbnail) in enumerate(loaded):
            if predictions is None:
                outcomes[job_id] = BatchOutcome(job_id, None, None, reason)
            else:
                summary = summarize_prediction(predictions[index])
                outcomes[job_id] = BatchOutcome(job_id, summary, facts, None, thumbnail)

    return [outcomes[job_id] for job_id, _, _ in jobs], []


def render_feature_map(name: str, activations: np.ndarray) -> FeatureMapTiles:
    """Render one conv block's (height, width, channels) activations as tiles with channel statistics."""
    channels_first = np.moveaxis(activations, -1, 0)
    return FeatureMapTiles(
        name=name,
        shape=tuple(activations.shape),
        tiles=rgb_array_to_qimage(colorize_channels(activations)),
        levels=normalize_channels(activations),
        minimums=channels_first.min(axis=(1, 2)),
        maximums=channels_first.max(axis=(1, 2)),
        means=channels_first.mean(axis=(1, 2)),
    )


def analyse_photo(classifier: Classifier, path: Path) -> tuple[PhotoSummary, PhotoDetail]:
    """Classify a photo file with feature maps and attribution, and render what the detail view shows.

    The model input comes from `Classifier.classify_file`, the project's one
    loader, so the app and `training.evaluate` see the same pixels. The photo
    is decoded a second time at display size.

    Raises:
        ImageLoadError: the file is missing, unreadable or not an image.
    """
    prediction = classifier.classify_file(path, feature_maps=True, attribution=True)

    decoded = decode_image(path, draft_size=(PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    photo = decoded.image
    photo.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), RESIZE_FILTER)

    feature_maps = tuple(
        render_feature_map(name, prediction.feature_maps[name]) for name in classifier.feature_map_names
    )
    attribution = prediction.attribution
    if attribution is not None:
        attribution = np.array(attribution, dtype=np.float32)

    detail = PhotoDetail(photo=pil_to_qimage(photo), feature_maps=feature_maps, attribution=attribution)
    return summarize_prediction(prediction), detail


def _upright_size(stored_size: tuple[int, int], decoded_size: tuple[int, int]) -> tuple[int, int]:
    # `original_size` is the file's stored (width, height), before the EXIF
    # rotation. The decoded image is upright but may be a draft at 1/2, 1/4
    # or 1/8 scale, so only its aspect ratio shows whether width and height
    # were swapped.
    stored_width, stored_height = stored_size
    decoded_width, decoded_height = decoded_size
    same_error = abs(decoded_width * stored_height - decoded_height * stored_width)
    swapped_error = abs(decoded_width * stored_width - decoded_height * stored_height)
    return (stored_height, stored_width) if swapped_error < same_error else stored_size


class BatchSignals(QObject):
    """Signals of a `BatchTask`; QRunnable is not a QObject, so it cannot emit them itself."""

    # task id, model generation, list of BatchOutcome, list of cancelled job ids
    finished = Signal(int, int, object, object)


class BatchTask(QRunnable):
    """Run `classify_batch` for a chunk of jobs on a pool thread.

    `signals.finished` is emitted exactly once per run, with an outcome or a
    cancellation for every job, so no row is left waiting.
    """

    def __init__(self, task_id: int, model: ModelVersion, jobs: list[tuple[int, Path, bool]]):
        super().__init__()
        # The queue keeps the task until its signal arrives, so Python, not
        # the pool, owns it. The pool deleting it could drop the signals
        # object before a queued signal reaches the window.
        self.setAutoDelete(False)
        self.task_id = task_id
        self.model = model
        self.jobs = jobs
        self.signals = BatchSignals()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Stop before the next photo is loaded. A batch already in ONNX Runtime still finishes."""
        self._cancel.set()

    def run(self) -> None:
        try:
            outcomes, cancelled = classify_batch(self.model.classifier, self.jobs, self._cancel.is_set)
        except Exception as error:  # noqa: BLE001 - an escaped error would leave the rows waiting forever
            logger.exception("Batch of %d photos failed", len(self.jobs))
            reason = f"classification failed ({type(error).__name__}: {error})"
            outcomes = [BatchOutcome(job_id, None, None, reason) for job_id, _, _ in self.jobs]
            cancelled = []
        self.signals.finished.emit(self.task_id, self.model.generation, outcomes, cancelled)


class DetailSignals(QObject):
    """Signals of a `DetailTask`."""

    finished = Signal(int, int, int, object, object)  # task id, job id, model generation, PhotoSummary, PhotoDetail
    failed = Signal(int, int, int, str)  # task id, job id, model generation, reason a user can act on


class DetailTask(QRunnable):
    """Run `analyse_photo` for the photo on screen on a pool thread.

    Exactly one of `signals.finished` or `signals.failed` is emitted per run.
    """

    def __init__(self, task_id: int, model: ModelVersion, job_id: int, path: Path):
        super().__init__()
        self.setAutoDelete(False)
        self.task_id = task_id
        self.model = model
        self.job_id = job_id
        self.path = path
        self.signals = DetailSignals()

    def run(self) -> None:
        generation = self.model.generation
        try:
            summary, detail = analyse_photo(self.model.classifier, self.path)
        except ImageLoadError as error:
            logger.info("Cannot render the detail of job %d: %s", self.job_id, error)
            self.signals.failed.emit(self.task_id, self.job_id, generation, error.reason)
            return
        except Exception as error:  # noqa: BLE001 - an escaped error would leave the view waiting forever
            logger.exception("Rendering the detail of job %d (%s) failed", self.job_id, self.path)
            self.signals.failed.emit(
                self.task_id, self.job_id, generation, f"classification failed ({type(error).__name__}: {error})"
            )
            return

        self.signals.finished.emit(self.task_id, self.job_id, generation, summary, detail)
