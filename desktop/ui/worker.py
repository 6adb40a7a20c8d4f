"""Classify one photo on a QThreadPool thread and report the result by signal."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Signal
from PySide6.QtGui import QImage

from desktop.core.classifier import Classifier
from desktop.core.images import RESIZE_FILTER, ImageLoadError, decode_image
from desktop.ui.feature_tiles import colorize_channels
from desktop.ui.qimages import pil_to_qimage, rgb_array_to_qimage

logger = logging.getLogger(__name__)

# Maximum length of the longer side, in pixels, of the photo kept for the
# detail view. Larger photos are shrunk on decode, so a 24-megapixel file
# costs no more memory than a screen-sized one.
PHOTO_MAX_SIDE = 1024

# Maximum length of the longer side, in pixels, of each row's thumbnail.
THUMBNAIL_MAX_SIDE = 96


@dataclass(frozen=True)
class FeatureMapTiles:
    """One conv block's activations, rendered as one colour tile per channel."""

    name: str
    shape: tuple[int, int, int]  # (height, width, channels) of the activations
    tiles: QImage  # the channel tiles stacked top to bottom, each height x width

    @property
    def channel_count(self) -> int:
        return self.shape[2]


@dataclass(frozen=True)
class PhotoSummary:
    """Prediction and thumbnail of a classified photo, as its row in the results list shows them."""

    label: str
    confidence: float  # probability of `label`, 0 to 1
    probabilities: dict[str, float]  # every label, in model order, 0 to 1
    thumbnail: QImage
    upright_size: tuple[int, int]  # (width, height) in pixels of the full-size photo, right way up
    notes: tuple[str, ...]  # remarks from the loader, such as "first of 3 frames used"


@dataclass(frozen=True)
class PhotoDetail:
    """Photo and feature-map tiles of a classified photo, for the detail view."""

    photo: QImage  # upright, at most PHOTO_MAX_SIDE pixels on its longer side
    feature_maps: tuple[FeatureMapTiles, ...]  # one per conv block, shallow to deep


def analyse_photo(classifier: Classifier, path: Path) -> tuple[PhotoSummary, PhotoDetail]:
    """Classify a photo file and render what the window shows of it.

    The model input comes from `Classifier.classify_file`, the project's one
    loader, so the app and `training.evaluate` see the same pixels. The photo
    is decoded a second time at display size for the detail view and the
    thumbnail.

    Raises:
        ImageLoadError: the file is missing, unreadable or not an image.
    """
    prediction = classifier.classify_file(path, feature_maps=True)

    decoded = decode_image(path, draft_size=(PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    photo = decoded.image
    upright_size = _upright_size(decoded.original_size, photo.size)
    photo.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), RESIZE_FILTER)
    thumbnail = photo.copy()
    thumbnail.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE), RESIZE_FILTER)

    feature_maps = tuple(
        FeatureMapTiles(
            name=name,
            shape=tuple(prediction.feature_maps[name].shape),
            tiles=rgb_array_to_qimage(colorize_channels(prediction.feature_maps[name])),
        )
        for name in classifier.feature_map_names
    )

    summary = PhotoSummary(
        label=prediction.label,
        confidence=prediction.confidence,
        probabilities={
            label: float(probability)
            for label, probability in zip(prediction.labels, prediction.probabilities)
        },
        thumbnail=pil_to_qimage(thumbnail),
        upright_size=upright_size,
        notes=tuple(decoded.notes),
    )
    return summary, PhotoDetail(photo=pil_to_qimage(photo), feature_maps=feature_maps)


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


class TaskSignals(QObject):
    """Signals of a `ClassifyTask`; QRunnable is not a QObject, so it cannot emit them itself."""

    finished = Signal(int, object, object)  # job id, PhotoSummary, PhotoDetail
    failed = Signal(int, str)  # job id, reason a user can act on


class ClassifyTask(QRunnable):
    """Run `analyse_photo` for one job on a pool thread.

    Exactly one of `signals.finished` or `signals.failed` is emitted per run,
    so the window never keeps a row waiting.
    """

    def __init__(self, classifier: Classifier, job_id: int, path: Path):
        super().__init__()
        # The queue keeps the task until after its signal arrives, so Python, not
        # the pool, owns it. The pool deleting it could drop the signals
        # object before a queued signal reaches the window.
        self.setAutoDelete(False)
        self.job_id = job_id
        self.path = path
        self.signals = TaskSignals()
        self._classifier = classifier

    def run(self) -> None:
        try:
            summary, detail = analyse_photo(self._classifier, self.path)
        except ImageLoadError as error:
            logger.info("Cannot classify job %d: %s", self.job_id, error)
            self.signals.failed.emit(self.job_id, error.reason)
            return
        except Exception as error:  # noqa: BLE001 - an escaped error would leave the row waiting forever
            logger.exception("Classifying job %d (%s) failed", self.job_id, self.path)
            self.signals.failed.emit(
                self.job_id, f"classification failed ({type(error).__name__}: {error})"
            )
            return

        self.signals.finished.emit(self.job_id, summary, detail)
