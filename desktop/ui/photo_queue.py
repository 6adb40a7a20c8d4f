"""The photos of a session, their classification jobs and the results that came back."""

from __future__ import annotations

import enum
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from desktop.core.classifier import Classifier
from desktop.ui.worker import ClassifyTask, PhotoDetail, PhotoSummary

# Photos whose detail (display photo and feature-map tiles) stays in memory.
# For a 150x150 model with 32, 64 and 128 channels one detail is roughly 6 MB
# (an estimate from the array sizes), so the cache stays near 120 MB. Rows
# keep only a thumbnail.
DETAIL_CACHE_SIZE = 20

# A detail requested for the photo on screen runs before queued photos.
_DETAIL_PRIORITY = 1


class PhotoStatus(enum.Enum):
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class PhotoEntry:
    """One photo the user added, and what is known about it so far."""

    job_id: int
    path: Path
    name: str  # shown in the list: the file name, or a name given to dropped image data
    status: PhotoStatus = PhotoStatus.WAITING
    summary: PhotoSummary | None = None
    error: str | None = None  # why the photo could not be classified
    detail_error: str | None = None  # why a re-requested detail could not be rendered


class PhotoQueue(QObject):
    """Classify added photos one at a time on a worker thread and keep the results.

    One worker thread runs jobs in the order they were added: ONNX Runtime
    already spreads one inference over the CPU cores, so parallel jobs would
    only compete for them. Results arrive on the GUI thread by signal.
    """

    entry_added = Signal(int)  # job id
    entry_changed = Signal(int)  # job id of an entry whose status, summary or error changed
    detail_ready = Signal(int)  # job id whose `detail(job_id)` is now available
    progress_changed = Signal(int, int)  # photos finished, photos added since the queue was last idle
    idle = Signal()  # every added photo has finished, failed or been cancelled

    def __init__(self, classifier: Classifier, parent: QObject | None = None):
        super().__init__(parent)
        self.classifier = classifier
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._entries: dict[int, PhotoEntry] = {}
        self._tasks: dict[int, ClassifyTask] = {}
        # The pool thread may still be returning from this task's run() when
        # its result arrives. With one pool thread it has surely returned once
        # the next result arrives, so each task is released one result later.
        self._finished_task: ClassifyTask | None = None
        self._details: OrderedDict[int, PhotoDetail] = OrderedDict()
        self._known_files: dict[tuple[Path, int, int], int] = {}
        self._next_job_id = 1
        self._waiting_count = 0
        self._run_total = 0
        self._run_finished = 0

    def add(self, path: Path, name: str | None = None) -> int:
        """Queue a photo file for classification and return its job id."""
        job_id = self._next_job_id
        self._next_job_id += 1
        entry = PhotoEntry(job_id=job_id, path=Path(path), name=name or Path(path).name)
        self._entries[job_id] = entry

        signature = _file_signature(entry.path)
        if signature is not None:
            self._known_files[signature] = job_id

        self._waiting_count += 1
        self._run_total += 1
        self._start_task(entry)
        self.entry_added.emit(job_id)
        self.progress_changed.emit(self._run_finished, self._run_total)
        return job_id

    def find_existing(self, path: Path) -> int | None:
        """Return the job id of an unchanged file already added and not failed, else None.

        A file counts as unchanged while its resolved path, size and
        modification time are the same, so an edited photo is classified again.
        """
        signature = _file_signature(path)
        job_id = self._known_files.get(signature) if signature is not None else None
        if job_id is None:
            return None
        if self._entries[job_id].status in (PhotoStatus.FAILED, PhotoStatus.CANCELLED):
            return None
        return job_id

    def entry(self, job_id: int) -> PhotoEntry:
        return self._entries[job_id]

    def entries(self) -> list[PhotoEntry]:
        """Return every entry, in the order the photos were added."""
        return list(self._entries.values())

    def detail(self, job_id: int) -> PhotoDetail | None:
        """Return the cached detail of a classified photo, or None if it is not in memory."""
        detail = self._details.get(job_id)
        if detail is not None:
            self._details.move_to_end(job_id)
        return detail

    def request_detail(self, job_id: int) -> None:
        """Render the detail of a classified photo again after the cache dropped it.

        `detail_ready` is emitted when it is available. If the photo can no
        longer be read, `detail_error` is set and `entry_changed` emitted.
        """
        entry = self._entries[job_id]
        if entry.status is not PhotoStatus.DONE or job_id in self._details or job_id in self._tasks:
            return
        entry.detail_error = None
        self._start_task(entry, priority=_DETAIL_PRIORITY)

    def pending_count(self) -> int:
        """Number of photos added and not yet finished, failed or cancelled."""
        return self._waiting_count

    def cancel_waiting(self) -> int:
        """Cancel the photos that no worker has started yet and return how many.

        The photo being classified still finishes.
        """
        cancelled = 0
        for job_id, task in list(self._tasks.items()):
            if not self._pool.tryTake(task):
                continue
            del self._tasks[job_id]
            entry = self._entries[job_id]
            if entry.status is PhotoStatus.WAITING:
                entry.status = PhotoStatus.CANCELLED
                cancelled += 1
                self.entry_changed.emit(job_id)
                self._finish_job()
            else:
                entry.detail_error = "rendering was cancelled; select the photo again to retry"
                self.entry_changed.emit(job_id)
        return cancelled

    def shutdown(self) -> None:
        """Cancel waiting photos and wait for the running one, before the window closes."""
        self.cancel_waiting()
        self._pool.waitForDone()
        self._finished_task = None

    def _start_task(self, entry: PhotoEntry, priority: int = 0) -> None:
        task = ClassifyTask(self.classifier, entry.job_id, entry.path)
        task.signals.finished.connect(self._on_task_finished)
        task.signals.failed.connect(self._on_task_failed)
        self._tasks[entry.job_id] = task
        self._pool.start(task, priority)

    @Slot(int, object, object)
    def _on_task_finished(self, job_id: int, summary: PhotoSummary, detail: PhotoDetail) -> None:
        self._finished_task = self._tasks.pop(job_id, None)
        entry = self._entries[job_id]

        self._details[job_id] = detail
        self._details.move_to_end(job_id)
        while len(self._details) > DETAIL_CACHE_SIZE:
            self._details.popitem(last=False)

        if entry.status is PhotoStatus.WAITING:
            entry.status = PhotoStatus.DONE
            entry.summary = summary
            self.entry_changed.emit(job_id)
            self._finish_job()
        self.detail_ready.emit(job_id)

    @Slot(int, str)
    def _on_task_failed(self, job_id: int, reason: str) -> None:
        self._finished_task = self._tasks.pop(job_id, None)
        entry = self._entries[job_id]

        if entry.status is PhotoStatus.WAITING:
            entry.status = PhotoStatus.FAILED
            entry.error = reason
            self.entry_changed.emit(job_id)
            self._finish_job()
        else:
            # A detail re-request failed, for example because the file was
            # deleted after it was classified: the summary stays valid.
            entry.detail_error = reason
            self.entry_changed.emit(job_id)

    def _finish_job(self) -> None:
        self._waiting_count -= 1
        self._run_finished += 1
        self.progress_changed.emit(self._run_finished, self._run_total)
        if self._waiting_count == 0:
            self._run_total = 0
            self._run_finished = 0
            self.idle.emit()


def _file_signature(path: Path) -> tuple[Path, int, int] | None:
    try:
        stat = path.stat()
        return (path.resolve(), stat.st_size, stat.st_mtime_ns)
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop, in Python 3.11
        return None
