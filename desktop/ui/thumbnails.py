"""Row thumbnails, held in memory for recently shown rows only.

A 96x72 thumbnail takes about 20 KB, so keeping one per row made the app
grow by about 200 MB for 10,000 photos. The cache keeps the newest
`THUMBNAIL_CACHE_SIZE` thumbnails. A row painted after its thumbnail was
dropped reads the photo again at thumbnail size on a pool thread, and the
row is repainted when the thumbnail arrives.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage

from desktop.core.images import ImageLoadError
from desktop.ui.worker import read_thumbnail

logger = logging.getLogger(__name__)

# Thumbnails kept in memory: several screens of rows, about 10 MB at 20 KB each.
THUMBNAIL_CACHE_SIZE = 512


class _ThumbnailSignals(QObject):
    finished = Signal(int, object)  # job id, QImage or None when the photo can no longer be read


class _ThumbnailTask(QRunnable):
    def __init__(self, job_id: int, path: Path):
        super().__init__()
        # The cache keeps the task until its signal arrives (see PhotoQueue).
        self.setAutoDelete(False)
        self.job_id = job_id
        self.path = path
        self.signals = _ThumbnailSignals()

    def run(self) -> None:
        try:
            image = read_thumbnail(self.path)
        except ImageLoadError as error:
            logger.info("Cannot read the thumbnail of %s again: %s", self.path, error.reason)
            image = None
        except Exception:  # noqa: BLE001 - the row would otherwise ask again on every paint
            logger.exception("Reading the thumbnail of %s failed", self.path)
            image = None
        self.signals.finished.emit(self.job_id, image)


class ThumbnailCache(QObject):
    """The newest thumbnails by job id, with the rest read again from their files on demand."""

    ready = Signal(int)  # job id whose thumbnail `get` now returns

    def __init__(self, capacity: int = THUMBNAIL_CACHE_SIZE, parent: QObject | None = None):
        super().__init__(parent)
        self.capacity = capacity
        self._images: OrderedDict[int, QImage] = OrderedDict()
        self._loading: dict[int, _ThumbnailTask] = {}
        self._unreadable: set[int] = set()  # job ids whose file could not be read again
        self._finished_task: _ThumbnailTask | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def __len__(self) -> int:
        return len(self._images)

    def put(self, job_id: int, image: QImage) -> None:
        """Keep `image` as the thumbnail of `job_id`, dropping the least recently used beyond capacity."""
        self._images[job_id] = image
        self._images.move_to_end(job_id)
        self._unreadable.discard(job_id)
        while len(self._images) > self.capacity:
            self._images.popitem(last=False)

    def cached(self, job_id: int) -> QImage | None:
        """Return the thumbnail of `job_id` if it is in memory, without reading the file."""
        return self._images.get(job_id)

    def get(self, job_id: int, path: Path) -> QImage | None:
        """Return the thumbnail of `job_id`, or None and start reading it from `path`.

        `ready` is emitted when the thumbnail has been read. A file that can
        no longer be read is not tried again.
        """
        image = self._images.get(job_id)
        if image is not None:
            self._images.move_to_end(job_id)
            return image
        if job_id not in self._loading and job_id not in self._unreadable:
            task = _ThumbnailTask(job_id, path)
            task.signals.finished.connect(self._on_finished)
            self._loading[job_id] = task
            self._pool.start(task)
        return None

    def is_loading(self) -> bool:
        """Tell whether a thumbnail is being read or waits to be read."""
        return bool(self._loading)

    def clear(self) -> None:
        """Forget every thumbnail and drop reads not yet started."""
        for job_id, task in list(self._loading.items()):
            if self._pool.tryTake(task):
                del self._loading[job_id]
        self._images.clear()
        self._unreadable.clear()

    def shutdown(self) -> None:
        """Drop reads not yet started and wait for the running one."""
        self.clear()
        self._pool.waitForDone()

    @Slot(int, object)
    def _on_finished(self, job_id: int, image: QImage | None) -> None:
        # The pool has one thread, so the previous task has returned from
        # run() once this one reports. Only then is its reference dropped.
        self._finished_task = self._loading.pop(job_id, None)
        if image is None:
            self._unreadable.add(job_id)
            return
        self.put(job_id, image)
        self.ready.emit(job_id)
