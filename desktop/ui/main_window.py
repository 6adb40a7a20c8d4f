"""The main window: menus, drag and drop, the results list and the detail view."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, QTemporaryDir, Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QWidget

from desktop.core import model_format as fmt
from desktop.core.classifier import Classifier
from desktop.core.datasets import find_image_files
from desktop.core.images import IMAGE_SUFFIXES
from desktop.ui.detail_view import DetailView
from desktop.ui.photo_queue import PhotoQueue, PhotoStatus
from desktop.ui.results_list import ResultsList

logger = logging.getLogger(__name__)

IMAGE_FILE_FILTER = (
    "Images (" + " ".join(f"*{suffix}" for suffix in sorted(IMAGE_SUFFIXES)) + ");;All files (*)"
)

# Failed files named in the status bar after a run; the rest are counted.
_MAX_NAMED_FAILURES = 3


class MainWindow(QMainWindow):
    """Classify photos dropped or opened by the user and show the selected one in detail."""

    def __init__(self, classifier: Classifier, parent: QWidget | None = None):
        super().__init__(parent)
        self.classifier = classifier
        self.queue = PhotoQueue(classifier, self)
        self.results_list = ResultsList()
        self.detail_view = DetailView()
        self._progress_label = QLabel()
        self._dropped_image_dir: QTemporaryDir | None = None
        self._dropped_image_count = 0
        self._last_open_dir = ""
        # Outcomes since the queue was last idle, summed up in the status bar.
        self._run_classified = 0
        self._run_cancelled = 0
        self._run_failed_names: list[str] = []

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.results_list)
        splitter.addWidget(self.detail_view)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([280, 1000])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.setWindowTitle(f"cnn-lens — {classifier.path.name}")
        self.setAcceptDrops(True)
        self.statusBar().addPermanentWidget(self._progress_label)
        self._create_menus()

        self.results_list.current_job_changed.connect(self._show_job)
        self.queue.entry_added.connect(self._on_entry_added)
        self.queue.entry_changed.connect(self._on_entry_changed)
        self.queue.detail_ready.connect(self._on_detail_ready)
        self.queue.progress_changed.connect(self._on_progress_changed)
        self.queue.idle.connect(self._on_queue_idle)

        labels = ", ".join(classifier.labels)
        self.statusBar().showMessage(
            f"Model {classifier.path.name} loaded (labels: {labels}). Drop photos to classify them."
        )

    # Adding photos

    def open_paths(self, paths: Iterable[str | os.PathLike]) -> list[int]:
        """Add files, and the image files inside folders, and classify them.

        Files already in the list and unchanged are selected, not classified
        again. The status bar shows what was added and skipped.

        Returns:
            The job ids of the photos added.
        """
        job_ids, message = self._add_paths([Path(path) for path in paths])
        self.statusBar().showMessage(message)
        return job_ids

    def add_mime_data(self, mime: QMimeData) -> list[int]:
        """Add what a drop carries: local files and folders, or image data without a file.

        URLs of files on other computers are rejected with a message, because
        the app works offline and downloads nothing.

        Returns:
            The job ids of the photos added.
        """
        local_paths: list[Path] = []
        remote_urls: list[str] = []
        for url in mime.urls():
            if url.isLocalFile():
                local_paths.append(Path(url.toLocalFile()))
            else:
                remote_urls.append(url.toString())

        if local_paths:
            job_ids, message = self._add_paths(local_paths)
            if remote_urls:
                message = f"{message} {_remote_rejection(remote_urls)}"
        elif mime.hasImage():
            # A browser may send the image itself along with its web address.
            # The pixels are already here, so they are classified and the
            # address is not needed.
            job_ids, message = self._add_image_data(mime.imageData())
        elif remote_urls:
            job_ids, message = [], _remote_rejection(remote_urls)
        else:
            job_ids, message = [], "Nothing to classify: the drop contains no files and no image data."

        self.statusBar().showMessage(message)
        return job_ids

    def _add_paths(self, paths: list[Path]) -> tuple[list[int], str]:
        # NOTE: folders are walked on the GUI thread. Listing 2,500 local
        # photos took about 50 ms on a 2-core Linux machine, but a slow network
        # share could stall the window while it is listed.
        try:
            files, skipped = find_image_files(paths)
        except OSError as error:
            logger.warning("Cannot list the files of %s: %s", paths, error)
            return [], f"Cannot read {error.filename or paths[0]}: {error.strerror or error}."

        new_ids: list[int] = []
        known_ids: list[int] = []
        for path in files:
            existing = self.queue.find_existing(path)
            if existing is not None:
                known_ids.append(existing)
            else:
                new_ids.append(self.queue.add(path))

        selected = new_ids or known_ids
        if selected:
            self.results_list.select_job(selected[0])
        return new_ids, _describe_added(len(new_ids), len(known_ids), skipped)

    def _add_image_data(self, image: QImage) -> tuple[list[int], str]:
        if not isinstance(image, QImage) or image.isNull():
            return [], "Nothing to classify: the dropped image data could not be read."

        # Dropped pixels go through the same loader as files, so they are
        # saved as a lossless PNG first.
        if self._dropped_image_dir is None:
            self._dropped_image_dir = QTemporaryDir()
        if not self._dropped_image_dir.isValid():
            return [], f"Cannot save the dropped image: {self._dropped_image_dir.errorString()}."
        self._dropped_image_count += 1
        path = Path(self._dropped_image_dir.filePath(f"dropped-image-{self._dropped_image_count}.png"))
        if not image.save(str(path), "PNG"):
            logger.warning("Cannot save dropped image data to %s", path)
            return [], f"Cannot save the dropped image to {path}."

        name = f"Dropped image {self._dropped_image_count}"
        job_id = self.queue.add(path, name)
        self.results_list.select_job(job_id)
        return [job_id], f"Classifying {name}…"

    # Drag and drop

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _is_droppable(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if _is_droppable(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if not _is_droppable(event.mimeData()):
            event.ignore()
            return
        self.add_mime_data(event.mimeData())
        event.acceptProposedAction()

    # Menus

    def _create_menus(self) -> None:
        open_action = QAction("&Open…", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.open_file_dialog)

        self.cancel_action = QAction("&Cancel Waiting Photos", self)
        self.cancel_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.cancel_action.setEnabled(False)
        self.cancel_action.triggered.connect(self._cancel_waiting)

        quit_action = QAction("&Quit", self)
        # StandardKey.Quit has no binding on Windows, so Ctrl+Q is set outright.
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)

        self.about_action = QAction("&About cnn-lens", self)
        self.about_action.triggered.connect(self.show_about)

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(open_action)
        file_menu.addAction(self.cancel_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.about_action)

    @Slot()
    def open_file_dialog(self) -> None:
        """Ask for photo files and classify the ones chosen."""
        paths, _ = QFileDialog.getOpenFileNames(self, "Open Photos", self._last_open_dir, IMAGE_FILE_FILTER)
        if not paths:
            return
        self._last_open_dir = str(Path(paths[0]).parent)
        self.open_paths(paths)

    @Slot()
    def show_about(self) -> None:
        """Show the model's path, labels and input size in a message box."""
        box = QMessageBox(QMessageBox.Icon.Information, "About cnn-lens", self.about_text(), parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()

    def about_text(self) -> str:
        """Return the About box's text: what the app does and which model it runs."""
        classifier = self.classifier
        height, width = classifier.input_size
        lines = [
            "cnn-lens classifies photos with a convolutional network and shows "
            "the feature maps of each conv block. It works offline.",
            "",
            f"Model: {classifier.path}",
            f"Labels: {', '.join(classifier.labels)}",
            f"Input size: {width}×{height} pixels",
            f"Feature maps: {', '.join(classifier.feature_map_names)}",
        ]
        architecture = classifier.metadata.get(fmt.META_ARCHITECTURE)
        if architecture:
            lines.append(f"Architecture: {architecture}")
        parameters = classifier.metadata.get(fmt.META_PARAMETERS, "")
        if parameters.isdigit():
            lines.append(f"Parameters: {int(parameters):,}")
        # Export stores the training run's facts; older or hand-made models may lack them.
        accuracy = classifier.training_info.get("validation_accuracy")
        if isinstance(accuracy, (int, float)):
            lines.append(f"Validation accuracy: {accuracy:.1%}")
        return "\n".join(lines)

    @Slot()
    def _cancel_waiting(self) -> None:
        cancelled = self.queue.cancel_waiting()
        self.statusBar().showMessage(f"Cancelled {_count(cancelled, 'waiting photo')}.")

    # Queue results

    @Slot(object)
    def _show_job(self, job_id: int | None) -> None:
        if job_id is None:
            self.detail_view.show_entry(None, None)
            return
        entry = self.queue.entry(job_id)
        detail = None
        if entry.status is PhotoStatus.DONE:
            detail = self.queue.detail(job_id)
            if detail is None and entry.detail_error is None:
                self.queue.request_detail(job_id)
        self.detail_view.show_entry(entry, detail)

    @Slot(int)
    def _on_entry_added(self, job_id: int) -> None:
        self.results_list.add_entry(self.queue.entry(job_id))
        self.cancel_action.setEnabled(True)

    @Slot(int)
    def _on_entry_changed(self, job_id: int) -> None:
        entry = self.queue.entry(job_id)
        self.results_list.update_entry(entry)
        if job_id == self.results_list.current_job_id():
            self._show_job(job_id)

        if entry.status is PhotoStatus.DONE and entry.detail_error is None:
            self._run_classified += 1
            summary = entry.summary
            self.statusBar().showMessage(f"{entry.name}: {summary.label} ({summary.confidence:.1%})")
        elif entry.status is PhotoStatus.FAILED:
            self._run_failed_names.append(entry.name)
            self.statusBar().showMessage(f"Cannot classify {entry.name}: {entry.error}")
        elif entry.status is PhotoStatus.CANCELLED:
            self._run_cancelled += 1

    @Slot(int)
    def _on_detail_ready(self, job_id: int) -> None:
        if job_id == self.results_list.current_job_id():
            self._show_job(job_id)

    @Slot(int, int)
    def _on_progress_changed(self, finished: int, total: int) -> None:
        self._progress_label.setText(f"Classified {finished} of {total}" if finished < total else "")

    @Slot()
    def _on_queue_idle(self) -> None:
        self.cancel_action.setEnabled(False)
        summary = _describe_run(self._run_classified, self._run_failed_names, self._run_cancelled)
        if summary:
            self.statusBar().showMessage(summary)
        self._run_classified = 0
        self._run_cancelled = 0
        self._run_failed_names = []

    def closeEvent(self, event: QCloseEvent) -> None:
        self.queue.shutdown()
        if self._dropped_image_dir is not None:
            self._dropped_image_dir.remove()
        super().closeEvent(event)


def _is_droppable(mime: QMimeData) -> bool:
    return mime.hasUrls() or mime.hasImage()


def _remote_rejection(urls: list[str]) -> str:
    if len(urls) == 1:
        rejected = f"{urls[0]} is not a file on this computer."
    else:
        rejected = f"{len(urls)} addresses, such as {urls[0]}, are not files on this computer."
    return (
        f"Not added: {rejected} cnn-lens works offline, so it does not download files. "
        "Save the photo first, then drop the saved file."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _describe_added(added: int, known: int, skipped: int) -> str:
    sentences = []
    if added:
        sentences.append(f"Classifying {_count(added, 'photo')}…")
    if known:
        verb = "is" if known == 1 else "are"
        sentences.append(f"{_count(known, 'photo')} {verb} already in the list.")
    if skipped == 1:
        sentences.append("Skipped 1 file that is not an image.")
    elif skipped:
        sentences.append(f"Skipped {skipped} files that are not images.")
    if not added and not known:
        sentences.append("No image files found.")
    return " ".join(sentences)


def _describe_run(classified: int, failed_names: list[str], cancelled: int) -> str:
    """Sum up a run of several photos. A run of one photo gets an empty string, so its own message stays."""
    if classified + len(failed_names) + cancelled <= 1:
        return ""
    sentences = []
    if classified:
        sentences.append(f"Classified {_count(classified, 'photo')}.")
    if failed_names:
        named = ", ".join(failed_names[:_MAX_NAMED_FAILURES])
        if len(failed_names) > _MAX_NAMED_FAILURES:
            named += f" and {len(failed_names) - _MAX_NAMED_FAILURES} more"
        sentences.append(f"Cannot classify {named}. The list shows why.")
    if cancelled:
        sentences.append(f"Cancelled {_count(cancelled, 'photo')}.")
    return " ".join(sentences)
