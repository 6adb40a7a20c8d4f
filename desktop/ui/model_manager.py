"""The model in use: loading another file, and reloading when its file is replaced.

`python -m training.export` writes a temporary file and renames it over the
model, so the watched file's inode changes. QFileSystemWatcher then drops
its watch on the file, so the folder is watched too and the file watch is
added again after each change.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from desktop.core.classifier import Classifier, ModelLoadError

logger = logging.getLogger(__name__)

# Wait this long, in milliseconds, after the last change to the model file or
# its folder before reading it. An exporter's writes and rename arrive as a
# burst of events, and this reads the file once when the burst is over.
RELOAD_DELAY_MS = 300

FileSignature = tuple[int, int, int]  # (modification time in ns, size in bytes, inode)


@dataclass(frozen=True)
class ModelVersion:
    """A loaded model and which load of this session produced it."""

    classifier: Classifier
    generation: int  # 1 for the first model of the session, one more for each later load
    signature: FileSignature | None  # the file as it was when loaded; None if it could not be read

    @property
    def path(self) -> Path:
        return self.classifier.path

    @property
    def modified(self) -> str:
        """The file's modification time when loaded, ISO 8601 in local time, or an empty string."""
        if self.signature is None:
            return ""
        return datetime.fromtimestamp(self.signature[0] / 1e9).astimezone().isoformat(timespec="seconds")


def file_signature(path: Path) -> FileSignature | None:
    """Return what identifies one version of a file, or None when it cannot be read."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)


class _LoadSignals(QObject):
    loaded = Signal(int, object, object)  # request id, Classifier, FileSignature or None
    failed = Signal(int, str, str)  # request id, path, reason


class _LoadTask(QRunnable):
    def __init__(self, request_id: int, path: Path):
        super().__init__()
        self.setAutoDelete(False)
        self.request_id = request_id
        self.path = path
        self.signals = _LoadSignals()

    def run(self) -> None:
        # The signature is read first. If the file is replaced during the
        # load, the next check finds a newer file and loads it again.
        signature = file_signature(self.path)
        try:
            classifier = Classifier.load(self.path)
        except ModelLoadError as error:
            self.signals.failed.emit(self.request_id, str(self.path), error.reason)
            return
        except Exception as error:  # noqa: BLE001 - the window must hear about every failure
            logger.exception("Loading the model %s failed", self.path)
            self.signals.failed.emit(self.request_id, str(self.path), f"{type(error).__name__}: {error}")
            return
        self.signals.loaded.emit(self.request_id, classifier, signature)


class ModelManager(QObject):
    """Hold the current model, load others on request, and reload its file when it changes.

    Loading runs on a worker thread. A model that fails to load never
    replaces the current one.
    """

    model_changed = Signal(object)  # the new ModelVersion
    # path, reason, and whether the user asked for the load (False: the file changed on disk)
    load_failed = Signal(str, str, bool)

    def __init__(self, classifier: Classifier, parent: QObject | None = None):
        super().__init__(parent)
        self.current = ModelVersion(classifier, 1, file_signature(classifier.path))
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._next_request_id = 1
        # request id -> (task, whether the user asked for it)
        self._tasks: dict[int, tuple[_LoadTask, bool]] = {}
        # A file version that failed to load is not tried again until it changes.
        self._rejected_signature: FileSignature | None = None

        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_event)
        self._watcher.directoryChanged.connect(self._on_file_event)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.check_for_changes)
        self._watch(classifier.path)

    def open_model(self, path: str | os.PathLike) -> None:
        """Load a model file in the background.

        `model_changed` is emitted when it is in use, or `load_failed` with
        the reason while the current model stays.
        """
        self._start_load(Path(path).resolve(), requested=True)

    def is_loading(self) -> bool:
        return bool(self._tasks)

    def watched_paths(self) -> list[str]:
        """Return the files and folders watched for changes."""
        return self._watcher.files() + self._watcher.directories()

    def shutdown(self) -> None:
        """Wait for a load in progress, before the window closes."""
        self._reload_timer.stop()
        self._pool.waitForDone()

    @Slot()
    def check_for_changes(self) -> None:
        """Reload the current model's file if it changed since it was loaded."""
        path = self.current.path.absolute()
        if str(path) not in self._watcher.files() and path.exists():
            # A rename over the file removed the old watch.
            self._watcher.addPath(str(path))

        signature = file_signature(path)
        if signature is None:
            # Deleted or between an unlink and a rename: the folder watch
            # reports the file when it is back.
            return
        if signature == self.current.signature or signature == self._rejected_signature:
            return
        if any(task.path.absolute() == path for task, _ in self._tasks.values()):
            # The running load read an older signature, so its completion
            # schedules another check.
            return
        self._start_load(path, requested=False)

    @Slot(str)
    def _on_file_event(self, _path: str) -> None:
        self._reload_timer.start()

    def _start_load(self, path: Path, requested: bool) -> None:
        request_id = self._next_request_id
        self._next_request_id += 1
        task = _LoadTask(request_id, path)
        task.signals.loaded.connect(self._on_loaded)
        task.signals.failed.connect(self._on_failed)
        self._tasks[request_id] = (task, requested)
        self._pool.start(task)

    @Slot(int, object, object)
    def _on_loaded(self, request_id: int, classifier: Classifier, signature: FileSignature | None) -> None:
        self._tasks.pop(request_id, None)
        if classifier.path != self.current.path:
            self._unwatch(self.current.path)
            self._watch(classifier.path)
        self._rejected_signature = None
        self.current = ModelVersion(classifier, self.current.generation + 1, signature)
        logger.info("Model %s loaded (generation %d)", classifier.path, self.current.generation)
        self.model_changed.emit(self.current)
        # The file may have changed again while it was loading.
        self._reload_timer.start()

    @Slot(int, str, str)
    def _on_failed(self, request_id: int, path: str, reason: str) -> None:
        _task, requested = self._tasks.pop(request_id, (None, False))
        logger.warning("Cannot load the model %s: %s", path, reason)
        if Path(path) == self.current.path:
            self._rejected_signature = file_signature(Path(path))
        self.load_failed.emit(path, reason, requested)

    def _watch(self, path: Path) -> None:
        # Absolute paths, so a model given relative to the working folder
        # matches the watcher's entries in `check_for_changes`.
        path = path.absolute()
        paths = [str(path.parent)]
        if path.exists():
            paths.append(str(path))
        self._watcher.addPaths(paths)

    def _unwatch(self, path: Path) -> None:
        path = path.absolute()
        watched = set(self.watched_paths())
        stale = [candidate for candidate in (str(path), str(path.parent)) if candidate in watched]
        if stale:
            self._watcher.removePaths(stale)
