"""The photos of a session, their classification and the results that came back."""

from __future__ import annotations

import enum
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from desktop.ui.model_manager import ModelVersion
from desktop.ui.thumbnails import ThumbnailCache
from desktop.ui.worker import (
    BATCH_SIZE,
    BatchOutcome,
    BatchTask,
    DetailTask,
    PhotoDetail,
    PhotoFacts,
    PhotoSummary,
)

# Photos whose detail (display photo, feature-map tiles and levels) stays in
# memory. For the shipped 150x150 model (maps of 148x148x32, 72x72x32 and
# 34x34x64) and a 1024x768 photo, one detail is about 6 MB, an estimate from
# the array sizes, so the cache stays near 60 MB. Rows keep the
# probabilities; thumbnails live in a `ThumbnailCache` of their own.
DETAIL_CACHE_SIZE = 10


class PhotoStatus(enum.Enum):
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class RunSummary:
    """Outcomes of the photos queued between two moments the queue was idle."""

    classified: int = 0
    failed_names: list[str] = field(default_factory=list)
    cancelled: int = 0
    notes: list[str] = field(default_factory=list)  # sentences on what adding left out, repeated in the summary


# Slots: one entry per photo, and a batch can hold tens of thousands.
@dataclass(slots=True)
class PhotoEntry:
    """One photo the user added, and what is known about it so far."""

    job_id: int
    path: Path
    name: str  # shown in the table: the file name, or a name given to dropped image data
    true_label: str | None = None  # from a labelled folder, else None
    status: PhotoStatus = PhotoStatus.WAITING
    facts: PhotoFacts | None = None  # size and loader notes; kept when the photo is classified again
    summary: PhotoSummary | None = None
    model: ModelVersion | None = None  # the model behind `summary`
    error: str | None = None  # why the photo could not be classified
    detail_error: str | None = None  # why the detail could not be rendered


class PhotoQueue(QObject):
    """Classify added photos in batches on a worker thread and keep the results.

    One pool thread classifies batches of up to `batch_size` photos in the
    order they were added, one ONNX call per batch and no feature maps. A
    second pool thread renders the detail (feature maps, attribution, display
    photo) of the photo on screen, so it does not wait behind a long batch.
    Results arrive on the GUI thread by signal.

    Each result records the `ModelVersion` that produced it. `set_model`
    classifies every photo again with the new model and discards results of
    the old one that arrive afterwards.
    """

    entries_added = Signal(list)  # job ids, in the order added
    entry_changed = Signal(int)  # job id of an entry whose status, summary or error changed
    detail_ready = Signal(int)  # job id whose `detail(job_id)` is now available
    progress_changed = Signal(int, int)  # photos finished, photos queued since the queue was last idle
    idle = Signal()  # every queued photo has finished, failed or been cancelled
    cleared = Signal()  # every entry was removed

    def __init__(self, model: ModelVersion, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self.batch_size = BATCH_SIZE  # photos per ONNX Runtime call
        self._batch_pool = QThreadPool(self)
        self._batch_pool.setMaxThreadCount(1)
        self._detail_pool = QThreadPool(self)
        self._detail_pool.setMaxThreadCount(1)
        self.thumbnails = ThumbnailCache(parent=self)

        self._entries: dict[int, PhotoEntry] = {}
        self._waiting: deque[int] = deque()  # queued job ids not yet given to a batch
        self._batch: BatchTask | None = None  # the batch of the current model in flight
        self._detail_tasks: dict[int, DetailTask] = {}  # job id -> its newest detail task
        # Every task started and not yet reported, by task id. The pool does
        # not own them (auto-delete is off), so these references keep them
        # alive while they run, including batches of a replaced model.
        self._in_flight: dict[int, BatchTask | DetailTask] = {}
        # The last finished task of each pool, by task class. The pool thread
        # may still be returning from run() when its signal arrives, so a
        # task is released only when the next task of its pool reports.
        self._finished_tasks: dict[type, BatchTask | DetailTask] = {}
        self._next_task_id = 1
        self._details: OrderedDict[int, tuple[int, PhotoDetail]] = OrderedDict()  # job -> (generation, detail)
        self._known_files: dict[tuple[Path, int, int], int] = {}
        self._next_job_id = 1
        self._pending = 0
        self._run_total = 0
        self._run_finished = 0
        self._run = RunSummary()
        self.last_run = RunSummary()  # the run that ended when `idle` was last emitted

    # Adding and finding photos

    def add(self, path: Path, name: str | None = None, true_label: str | None = None) -> int:
        """Queue a photo file for classification and return its job id."""
        return self.add_many([(Path(path), name, true_label)])[0]

    def add_many(self, photos: Sequence[tuple[Path, str | None, str | None]]) -> list[int]:
        """Queue photos, each given as (path, display name or None, true label or None).

        Returns:
            Their job ids, in the same order. `entries_added` is emitted once.
        """
        job_ids = []
        for path, name, true_label in photos:
            job_id = self._next_job_id
            self._next_job_id += 1
            path = Path(path)
            entry = PhotoEntry(job_id=job_id, path=path, name=name or path.name, true_label=true_label)
            self._entries[job_id] = entry
            signature = _file_signature(path)
            if signature is not None:
                self._known_files[signature] = job_id
            self._waiting.append(job_id)
            job_ids.append(job_id)

        if not job_ids:
            return []
        self._pending += len(job_ids)
        self._run_total += len(job_ids)
        self.entries_added.emit(job_ids)
        self.progress_changed.emit(self._run_finished, self._run_total)
        self._start_next_batch()
        return job_ids

    def find_existing(self, path: Path) -> int | None:
        """Return the job id of an unchanged file already added and not failed, else None.

        A file counts as unchanged while its resolved path, size and
        modification time are the same, so an edited photo is classified again.
        """
        signature = _file_signature(path)
        job_id = self._known_files.get(signature) if signature is not None else None
        if job_id is None or job_id not in self._entries:
            return None
        if self._entries[job_id].status in (PhotoStatus.FAILED, PhotoStatus.CANCELLED):
            return None
        return job_id

    def set_true_label(self, job_id: int, true_label: str) -> None:
        """Record a photo's true label, found when its labelled folder was added after it."""
        entry = self._entries[job_id]
        if entry.true_label != true_label:
            entry.true_label = true_label
            self.entry_changed.emit(job_id)

    def entry(self, job_id: int) -> PhotoEntry:
        return self._entries[job_id]

    def entries(self) -> list[PhotoEntry]:
        """Return every entry, in the order the photos were added."""
        return list(self._entries.values())

    def pending_count(self) -> int:
        """Number of photos queued and not yet finished, failed or cancelled."""
        return self._pending

    # Details of the photo on screen

    def detail(self, job_id: int) -> PhotoDetail | None:
        """Return the cached detail of a classified photo from the current model, or None."""
        cached = self._details.get(job_id)
        if cached is None or cached[0] != self.model.generation:
            return None
        self._details.move_to_end(job_id)
        return cached[1]

    def cached_detail_count(self) -> int:
        """Number of rendered details in memory, at most `DETAIL_CACHE_SIZE`."""
        return len(self._details)

    def request_detail(self, job_id: int) -> None:
        """Render the detail of a classified photo unless it is cached or being rendered.

        `detail_ready` is emitted when it is available. If the photo can no
        longer be read, `detail_error` is set and `entry_changed` emitted. A
        detail requested earlier for another photo and not yet started is
        dropped, because only the photo on screen needs one.
        """
        entry = self._entries[job_id]
        if entry.status is not PhotoStatus.DONE or self.detail(job_id) is not None:
            return
        task = self._detail_tasks.get(job_id)
        if task is not None and task.model.generation == self.model.generation:
            return

        for other_id, other in list(self._detail_tasks.items()):
            if other_id != job_id and self._detail_pool.tryTake(other):
                del self._detail_tasks[other_id]
                del self._in_flight[other.task_id]

        entry.detail_error = None
        task = DetailTask(self._take_task_id(), self.model, job_id, entry.path)
        task.signals.finished.connect(self._on_detail_finished)
        task.signals.failed.connect(self._on_detail_failed)
        self._detail_tasks[job_id] = task
        self._in_flight[task.task_id] = task
        self._detail_pool.start(task)

    # Cancelling, clearing and swapping the model

    def cancel_waiting(self) -> int:
        """Cancel every photo not yet classified.

        Queued photos are cancelled at once. The batch in flight stops before
        its next photo is loaded, and its photos not yet classified are
        marked cancelled when it reports. A batch already inside ONNX Runtime
        finishes and keeps its results.

        Returns:
            The number of queued photos cancelled at once, not counting the
            batch in flight.
        """
        cancelled = 0
        while self._waiting:
            job_id = self._waiting.popleft()
            self._entries[job_id].status = PhotoStatus.CANCELLED
            self.entry_changed.emit(job_id)
            cancelled += 1
        self._run.cancelled += cancelled
        if self._batch is not None:
            self._batch.cancel()
        self._finish_jobs(cancelled)
        return cancelled

    def clear(self) -> None:
        """Cancel everything and remove every entry."""
        self._waiting.clear()
        if self._batch is not None:
            self._batch.cancel()
            # Its results arrive for removed entries and are dropped.
            self._batch = None
        self._drop_unstarted_details()
        self._entries.clear()
        self._details.clear()
        self.thumbnails.clear()
        self._known_files.clear()
        was_busy = self._pending > 0
        self._pending = 0
        self._run_total = 0
        self._run_finished = 0
        self.last_run = self._run
        self._run = RunSummary()
        self.cleared.emit()
        self.progress_changed.emit(0, 0)
        if was_busy:
            self.idle.emit()

    def set_model(self, model: ModelVersion) -> int:
        """Use another model and classify every classified or queued photo again with it.

        Results of the previous model that arrive later are discarded.
        Failed and cancelled photos stay as they are.

        Returns:
            The number of photos queued again.
        """
        self.model = model
        if self._batch is not None:
            self._batch.cancel()
        self._details.clear()

        requeued = []
        for entry in self._entries.values():
            if entry.status is PhotoStatus.DONE:
                entry.status = PhotoStatus.WAITING
                entry.detail_error = None
                requeued.append(entry.job_id)
                self.entry_changed.emit(entry.job_id)
        # Photos still queued keep their place, ahead of the re-queued ones.
        # The batch in flight belongs to the old model, so its photos are
        # queued again first.
        in_flight = [job_id for job_id, _, _ in self._batch.jobs] if self._batch is not None else []
        self._batch = None
        self._waiting = deque(in_flight + [job for job in self._waiting if job not in in_flight] + requeued)

        self._pending += len(requeued)
        self._run_total += len(requeued)
        self.progress_changed.emit(self._run_finished, self._run_total)
        self._start_next_batch()
        return len(requeued) + len(in_flight)

    def shutdown(self) -> None:
        """Cancel waiting photos and wait for the running tasks, before the window closes."""
        self.cancel_waiting()
        self._drop_unstarted_details()
        self.thumbnails.shutdown()
        self._batch_pool.waitForDone()
        self._detail_pool.waitForDone()
        self._in_flight.clear()
        self._finished_tasks = {}

    # Task results

    def _start_next_batch(self) -> None:
        if self._batch is not None or not self._waiting:
            return
        jobs = []
        while self._waiting and len(jobs) < self.batch_size:
            job_id = self._waiting.popleft()
            entry = self._entries[job_id]
            jobs.append((job_id, entry.path, entry.facts is None))
        task = BatchTask(self._take_task_id(), self.model, jobs)
        task.signals.finished.connect(self._on_batch_finished)
        self._batch = task
        self._in_flight[task.task_id] = task
        self._batch_pool.start(task)

    @Slot(int, int, object, object)
    def _on_batch_finished(
        self, task_id: int, generation: int, outcomes: list[BatchOutcome], cancelled: list[int]
    ) -> None:
        self._release_later(self._in_flight.pop(task_id, None))
        if self._batch is not None and self._batch.task_id == task_id:
            self._batch = None

        if generation == self.model.generation:
            finished = 0
            for outcome in outcomes:
                finished += self._apply_outcome(outcome)
            for job_id in cancelled:
                entry = self._entries.get(job_id)
                if entry is not None and entry.status is PhotoStatus.WAITING:
                    entry.status = PhotoStatus.CANCELLED
                    self.entry_changed.emit(job_id)
                    self._run.cancelled += 1
                    finished += 1
            self._finish_jobs(finished)
        self._start_next_batch()

    def _apply_outcome(self, outcome: BatchOutcome) -> int:
        entry = self._entries.get(outcome.job_id)
        if entry is None or entry.status is not PhotoStatus.WAITING:
            return 0
        if outcome.facts is not None:
            entry.facts = outcome.facts
        if outcome.thumbnail is not None:
            self.thumbnails.put(outcome.job_id, outcome.thumbnail)
        if outcome.summary is not None:
            entry.status = PhotoStatus.DONE
            entry.summary = outcome.summary
            entry.model = self.model
            entry.error = None
            self._run.classified += 1
        else:
            entry.status = PhotoStatus.FAILED
            entry.error = outcome.error
            self._run.failed_names.append(entry.name)
        self.entry_changed.emit(outcome.job_id)
        return 1

    @Slot(int, int, int, object, object)
    def _on_detail_finished(
        self, task_id: int, job_id: int, generation: int, summary: PhotoSummary, detail: PhotoDetail
    ) -> None:
        self._end_detail_task(task_id, job_id)
        if generation != self.model.generation or job_id not in self._entries:
            return
        self._details[job_id] = (generation, detail)
        self._details.move_to_end(job_id)
        while len(self._details) > DETAIL_CACHE_SIZE:
            self._details.popitem(last=False)
        self.detail_ready.emit(job_id)

    @Slot(int, int, int, str)
    def _on_detail_failed(self, task_id: int, job_id: int, generation: int, reason: str) -> None:
        self._end_detail_task(task_id, job_id)
        entry = self._entries.get(job_id)
        if generation != self.model.generation or entry is None:
            return
        # For example the file was deleted after it was classified: the
        # summary stays valid.
        entry.detail_error = reason
        self.entry_changed.emit(job_id)

    def _end_detail_task(self, task_id: int, job_id: int) -> None:
        task = self._in_flight.pop(task_id, None)
        self._release_later(task)
        if task is not None and self._detail_tasks.get(job_id) is task:
            del self._detail_tasks[job_id]

    def _drop_unstarted_details(self) -> None:
        for job_id, task in list(self._detail_tasks.items()):
            if self._detail_pool.tryTake(task):
                del self._in_flight[task.task_id]
        self._detail_tasks.clear()

    def _take_task_id(self) -> int:
        task_id = self._next_task_id
        self._next_task_id += 1
        return task_id

    def _release_later(self, task: BatchTask | DetailTask | None) -> None:
        # Each pool has one thread, so the previous task of the same pool
        # has surely returned from run() once this one reports.
        if task is not None:
            self._finished_tasks[type(task)] = task

    def add_note(self, text: str) -> None:
        """Keep a sentence about the running batch, such as the files it left out, for its final summary."""
        if self._pending and text:
            self._run.notes.append(text)

    def _finish_jobs(self, count: int) -> None:
        if count == 0:
            return
        self._pending -= count
        self._run_finished += count
        self.progress_changed.emit(self._run_finished, self._run_total)
        if self._pending == 0:
            self._run_total = 0
            self._run_finished = 0
            self.last_run = self._run
            self._run = RunSummary()
            self.idle.emit()


def _file_signature(path: Path) -> tuple[Path, int, int] | None:
    try:
        stat = path.stat()
        return (path.resolve(), stat.st_size, stat.st_mtime_ns)
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop, in Python 3.11
        return None
