"""The main window: menus, drag and drop, paste, the results table, the detail view and the panels."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, QSettings, QTemporaryDir, QTimer, Qt, QUrl, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QToolButton,
    QWidget,
)

from desktop.core import model_format as fmt
from desktop.core.classifier import Classifier
from desktop.core.images import IMAGE_SUFFIXES
from desktop.core.photo_sets import collect_photos
from desktop.core.results import Evaluation, ResultRecord, evaluate_records, write_results_csv
from desktop.ui import messages
from desktop.ui.app_icon import application_icon
from desktop.ui.detail_view import DetailView
from desktop.ui.evaluation_panel import EvaluationPanel
from desktop.ui.model_manager import ModelManager, ModelVersion
from desktop.ui.model_panel import ModelPanel
from desktop.ui.photo_queue import PhotoEntry, PhotoQueue, PhotoStatus
from desktop.ui.results_model import ResultFilter
from desktop.ui.results_table import ResultsTable

logger = logging.getLogger(__name__)

# A scheme such as "https://" or "file://" at the start of a command-line
# argument. A Windows drive letter such as "C:" has no "//" and does not match.
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

IMAGE_FILE_FILTER = (
    "Images (" + " ".join(f"*{suffix}" for suffix in sorted(IMAGE_SUFFIXES)) + ");;All files (*)"
)
MODEL_FILE_FILTER = "ONNX models (*.onnx);;All files (*)"
CSV_FILE_FILTER = "CSV files (*.csv);;All files (*)"

# QSettings keys.
SETTING_GEOMETRY = "window/geometry"
SETTING_WINDOW_STATE = "window/state"
SETTING_LAST_MODEL = "model/last_path"
SETTING_OPACITY = "overlay/opacity"
SETTING_OPEN_DIR = "files/last_open_dir"

# The evaluation is recomputed at most this often, in milliseconds, while
# results arrive: a batch's rows change together, and one pass over the
# rows per batch is enough.
_EVALUATION_DELAY_MS = 150


class MainWindow(QMainWindow):
    """Classify photos dropped, pasted or opened by the user and show the selected one in detail.

    `settings` stores the window geometry, the last model and the overlay
    opacity between launches. Without it nothing is read or written.
    """

    def __init__(self, classifier: Classifier, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.models = ModelManager(classifier, self)
        self.queue = PhotoQueue(self.models.current, self)
        self.results_table = ResultsTable(self.queue)
        self.evaluation_panel = EvaluationPanel()
        self.detail_view = DetailView()
        self.model_panel = ModelPanel(self.models.current)
        self._dropped_image_dir: QTemporaryDir | None = None
        self._dropped_image_count = 0
        self._last_open_dir = ""
        self._evaluation: Evaluation | None = None
        self._evaluation_job_ids: list[int] = []

        self._build_layout()
        self._build_status_bar()
        self._create_menus()
        self.setAcceptDrops(True)
        self.setWindowIcon(application_icon())
        self._show_model(self.models.current)

        self._evaluation_timer = QTimer(self)
        self._evaluation_timer.setSingleShot(True)
        self._evaluation_timer.setInterval(_EVALUATION_DELAY_MS)
        self._evaluation_timer.timeout.connect(self.update_evaluation)

        self.results_table.current_job_changed.connect(self._show_job)
        self.queue.entries_added.connect(self._schedule_evaluation)
        self.queue.entry_changed.connect(self._on_entry_changed)
        self.queue.detail_ready.connect(self._on_detail_ready)
        self.queue.progress_changed.connect(self._on_progress_changed)
        self.queue.idle.connect(self._on_queue_idle)
        self.queue.cleared.connect(self._schedule_evaluation)
        self.models.model_changed.connect(self._on_model_changed)
        self.models.load_failed.connect(self._on_model_load_failed)
        self.evaluation_panel.cell_clicked.connect(self.show_confusion_cell)
        self.evaluation_panel.show_misclassified.connect(
            lambda: self.results_table.set_filter(ResultFilter("misclassified"))
        )
        self._restore_settings()

        labels = ", ".join(classifier.labels)
        self.statusBar().showMessage(
            f"Model {classifier.path.name} loaded (labels: {labels}). Drop photos or folders to classify them."
        )

    @property
    def classifier(self) -> Classifier:
        """The model in use."""
        return self.models.current.classifier

    def _build_layout(self) -> None:
        self.evaluation_panel.hide()
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.results_table)
        left.addWidget(self.evaluation_panel)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)
        left.setChildrenCollapsible(False)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.detail_view)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([440, 840])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.model_dock = QDockWidget("Model", self)
        self.model_dock.setObjectName("model-dock")
        self.model_dock.setWidget(self.model_panel)
        self.model_dock.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.model_dock)
        self.model_dock.hide()

    def _build_status_bar(self) -> None:
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(240)
        self.progress_bar.setFormat("%v of %m")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Cancel the photos not classified yet (Esc)")
        self.cancel_button.clicked.connect(self._cancel_waiting)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.progress_bar.hide()
        self.cancel_button.hide()

    # Adding photos

    def open_paths(self, paths: Iterable[str | os.PathLike]) -> list[int]:
        """Add files, and the image files inside folders, and classify them.

        Photos under `<folder>/<label>/` of a dropped folder get that label as
        their true label. Files already in the table and unchanged are
        selected, not classified again. The status bar shows what was added
        and skipped.

        A `file://` URL is read as its local path. Other URLs, such as
        `https://` addresses given on the command line, are rejected with a
        message, because the app works offline and downloads nothing.

        Returns:
            The job ids of the photos added.
        """
        local_paths: list[Path] = []
        remote_urls: list[str] = []
        for path in paths:
            text = os.fspath(path)
            if not _URL_SCHEME.match(text):
                local_paths.append(Path(text))
            elif QUrl(text).isLocalFile():
                local_paths.append(Path(QUrl(text).toLocalFile()))
            else:
                remote_urls.append(text)

        job_ids, message = self._add_paths(local_paths) if local_paths else ([], "")
        if remote_urls:
            message = f"{message} {self._reject_remote(remote_urls)}".strip()
        self.statusBar().showMessage(message)
        return job_ids

    def add_mime_data(self, mime: QMimeData, origin: str = "Dropped") -> list[int]:
        """Add what a drop or paste carries: local files and folders, or image data without a file.

        URLs of files on other computers are rejected with a message, because
        the app works offline and downloads nothing. Image data is named
        after `origin` and a count, such as "Dropped image 1".

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
                message = f"{message} {self._reject_remote(remote_urls)}"
        elif mime.hasImage():
            # A browser may send the image itself along with its web address.
            # The pixels are already here, so they are classified and the
            # address is not needed.
            job_ids, message = self._add_image_data(mime.imageData(), origin)
        elif remote_urls:
            job_ids, message = [], messages.remote_rejection(remote_urls)
        else:
            job_ids, message = [], "Nothing to classify: the drop contains no files and no image data."

        self.statusBar().showMessage(message)
        return job_ids

    @Slot()
    def paste(self) -> list[int]:
        """Classify what the clipboard holds: copied files and folders, an image, or lines of local paths.

        Returns:
            The job ids of the photos added.
        """
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            self.statusBar().showMessage("Nothing to paste: the clipboard is empty.")
            return []
        if mime.hasUrls() or mime.hasImage():
            return self.add_mime_data(mime, origin="Pasted")

        # Some file managers and terminals copy paths as plain text.
        lines = [line.strip() for line in mime.text().splitlines() if line.strip()]
        if lines and all(Path(line).is_absolute() and Path(line).exists() for line in lines):
            return self.open_paths(lines)
        self.statusBar().showMessage(
            "Nothing to paste: the clipboard holds no image, no files and no paths of files on this computer."
        )
        return []

    def _reject_remote(self, urls: list[str]) -> str:
        """Build the rejection of web addresses given beside local photos, and keep it for the batch's summary."""
        rejection = messages.remote_rejection(urls)
        self.queue.add_note(rejection)
        return rejection

    def _add_paths(self, paths: list[Path]) -> tuple[list[int], str]:
        # NOTE: folders are walked on the GUI thread. Listing 2,500 local
        # photos took about 50 ms on a 2-core Linux machine, but a slow network
        # share could stall the window while it is listed.
        try:
            collection = collect_photos(paths, self.classifier.labels)
        except OSError as error:
            logger.warning("Cannot list the files of %s: %s", paths, error)
            return [], f"Cannot read {error.filename or paths[0]}: {error.strerror or error}."

        new_photos = []
        known_ids: list[int] = []
        for photo in collection.photos:
            existing = self.queue.find_existing(photo.path)
            if existing is None:
                new_photos.append((photo.path, None, photo.true_label))
                continue
            known_ids.append(existing)
            if photo.true_label is not None:
                self.queue.set_true_label(existing, photo.true_label)
        new_ids = self.queue.add_many(new_photos)
        if new_ids and self.results_table.result_filter() != ResultFilter():
            # A filter would hide the new rows until they are classified, so
            # the table shows every photo again.
            self.results_table.set_filter(ResultFilter())

        selected = new_ids or known_ids
        if selected:
            self.results_table.select_job(selected[0])
        if collection.skipped:
            self.queue.add_note(messages.describe_skipped(collection.skipped))
        message = messages.describe_added(len(new_ids), len(known_ids), collection.skipped)
        if collection.labelled_folders:
            message += " " + messages.describe_labelled(collection.labelled_folders, collection.photos)
        return new_ids, message

    def _add_image_data(self, image: QImage, origin: str) -> tuple[list[int], str]:
        if not isinstance(image, QImage) or image.isNull():
            return [], "Nothing to classify: the image data could not be read."

        # Dropped pixels go through the same loader as files, so they are
        # saved as a lossless PNG first.
        if self._dropped_image_dir is None:
            self._dropped_image_dir = QTemporaryDir()
        if not self._dropped_image_dir.isValid():
            return [], f"Cannot save the image data: {self._dropped_image_dir.errorString()}."
        self._dropped_image_count += 1
        file_name = f"{origin.lower()}-image-{self._dropped_image_count}.png"
        path = Path(self._dropped_image_dir.filePath(file_name))
        if not image.save(str(path), "PNG"):
            logger.warning("Cannot save dropped image data to %s", path)
            return [], f"Cannot save the image data to {path}."

        name = f"{origin} image {self._dropped_image_count}"
        job_id = self.queue.add(path, name)
        self.results_table.select_job(job_id)
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
        self.file_menu = file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._add_action(file_menu, "&Open Photos…", QKeySequence.StandardKey.Open, self.open_file_dialog)
        self.open_folder_action = self._add_action(
            file_menu, "Open &Folder…", QKeySequence("Ctrl+Shift+O"), self.open_folder_dialog
        )
        self.open_model_action = self._add_action(
            file_menu, "Open &Model…", QKeySequence("Ctrl+Shift+M"), self.open_model_dialog
        )
        file_menu.addSeparator()
        self.export_action = self._add_action(
            file_menu, "&Export Results as CSV…", QKeySequence("Ctrl+E"), self.export_dialog
        )
        file_menu.addSeparator()
        self.cancel_action = self._add_action(
            file_menu, "&Cancel Classification", QKeySequence(Qt.Key.Key_Escape), self._cancel_waiting
        )
        self.cancel_action.setEnabled(False)
        self.clear_action = self._add_action(file_menu, "C&lear Results", None, self.clear_results)
        file_menu.addSeparator()
        # StandardKey.Quit has no binding on Windows, so Ctrl+Q is set outright.
        self.quit_action = self._add_action(file_menu, "&Quit", QKeySequence("Ctrl+Q"), self.close)

        self.edit_menu = edit_menu = self.menuBar().addMenu("&Edit")
        self.copy_action = self._add_action(edit_menu, "&Copy Result", QKeySequence.StandardKey.Copy, self.copy_result)
        self.paste_action = self._add_action(edit_menu, "&Paste Photos", QKeySequence.StandardKey.Paste, self.paste)

        self.view_menu = view_menu = self.menuBar().addMenu("&View")
        self.next_action = self._add_action(
            view_menu, "&Next Result", QKeySequence("Ctrl+Down"), lambda: self.results_table.select_next(1)
        )
        self.previous_action = self._add_action(
            view_menu, "&Previous Result", QKeySequence("Ctrl+Up"), lambda: self.results_table.select_next(-1)
        )
        view_menu.addSeparator()
        self.model_panel_action = self.model_dock.toggleViewAction()
        self.model_panel_action.setText("&Model Details")
        self.model_panel_action.setShortcut(QKeySequence("Ctrl+I"))
        view_menu.addAction(self.model_panel_action)
        self.addAction(self.model_panel_action)

        self.help_menu = help_menu = self.menuBar().addMenu("&Help")
        self.about_action = self._add_action(help_menu, "&About cnn-lens", None, self.show_about)

    def _add_action(self, menu, text: str, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        # Added to the window too, so the shortcut works while the menu bar is hidden.
        self.addAction(action)
        return action

    @Slot()
    def open_file_dialog(self) -> None:
        """Ask for photo files and classify the ones chosen."""
        paths, _ = QFileDialog.getOpenFileNames(self, "Open Photos", self._last_open_dir, IMAGE_FILE_FILTER)
        if not paths:
            return
        self._last_open_dir = str(Path(paths[0]).parent)
        self.open_paths(paths)

    @Slot()
    def open_folder_dialog(self) -> None:
        """Ask for a folder and classify its photos. A folder with label sub-folders is also evaluated."""
        folder = QFileDialog.getExistingDirectory(self, "Open Folder", self._last_open_dir)
        if not folder:
            return
        self._last_open_dir = str(Path(folder).parent)
        self.open_paths([folder])

    @Slot()
    def open_model_dialog(self) -> None:
        """Ask for an ONNX model file and use it if it loads. Otherwise the current model stays."""
        start = str(self.models.current.path.parent)
        path, _ = QFileDialog.getOpenFileName(self, "Open Model", start, MODEL_FILE_FILTER)
        if path:
            self.open_model(path)

    def open_model(self, path: str | os.PathLike) -> None:
        """Load a model in the background. The status bar, or a message box on failure, reports the outcome."""
        self.statusBar().showMessage(f"Loading the model {path}…")
        self.models.open_model(path)

    @Slot()
    def export_dialog(self) -> None:
        """Ask where to save the results as CSV and write them."""
        if not self.result_records():
            self.statusBar().showMessage("Nothing to export: no photo is classified yet.")
            return
        start = os.path.join(self._last_open_dir, "cnn-lens-results.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export Results", start, CSV_FILE_FILTER)
        if path:
            self.export_csv(path)

    def export_csv(self, path: str | os.PathLike) -> int:
        """Write every classified photo's result to a CSV file, in the order the photos were added.

        Columns are listed in `desktop.core.results.csv_header`. A failure is
        shown in a message box with the path and the reason.

        Returns:
            The number of rows written, 0 on failure.
        """
        records = self.result_records()
        try:
            count = write_results_csv(path, records, self.classifier.labels)
        except OSError as error:
            logger.warning("Cannot export the results to %s: %s", path, error)
            self._warn("Export failed", f"Cannot write {path}: {error.strerror or error}.")
            return 0
        not_classified = sum(1 for entry in self.queue.entries() if entry.status is not PhotoStatus.DONE)
        message = f"Exported {messages.count(count, 'result')} to {path}."
        if not_classified:
            message += f" {messages.count(not_classified, 'photo')} without a result {'were' if not_classified != 1 else 'was'} left out."
        self.statusBar().showMessage(message)
        return count

    @Slot()
    def copy_result(self) -> str:
        """Copy the selected photo's result as "file: label (confidence)" and return the text."""
        job_id = self.results_table.current_job_id()
        if job_id is None:
            self.statusBar().showMessage("Nothing to copy: select a photo first.")
            return ""
        text = messages.result_line(self.queue.entry(job_id))
        QGuiApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"Copied: {text}")
        return text

    @Slot()
    def clear_results(self) -> None:
        """Remove every photo from the table and cancel what is not classified yet."""
        self.queue.clear()
        self.detail_view.show_entry(None, None)
        self.statusBar().showMessage("Cleared the results.")

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
        self.statusBar().showMessage(f"Cancelled {messages.count(cancelled, 'waiting photo')}.")

    # Results and evaluation

    def result_records(self) -> list[ResultRecord]:
        """Return the classified photos' results, in the order the photos were added."""
        return [_record_of(entry) for entry in self.queue.entries() if entry.status is PhotoStatus.DONE]

    def evaluation(self) -> Evaluation | None:
        """Return the figures shown for labelled photos, or None when no photo has a true label."""
        return self._evaluation

    @Slot()
    def update_evaluation(self) -> None:
        """Recompute the labelled photos' figures and show or hide the evaluation panel."""
        self._evaluation_timer.stop()
        labelled = [entry for entry in self.queue.entries() if entry.true_label is not None]
        if not labelled:
            self._evaluation = None
            self._evaluation_job_ids = []
            self.evaluation_panel.hide()
            return

        classified = [entry for entry in labelled if entry.status is PhotoStatus.DONE]
        evaluation = evaluate_records([_record_of(entry) for entry in classified], self.classifier.labels)
        pending = sum(1 for entry in labelled if entry.status in (PhotoStatus.WAITING, PhotoStatus.CANCELLED))
        failed = sum(1 for entry in labelled if entry.status is PhotoStatus.FAILED)
        self._evaluation = evaluation
        self._evaluation_job_ids = [entry.job_id for entry in classified]
        self.evaluation_panel.set_evaluation(evaluation, pending, failed)
        self.evaluation_panel.show()

    @Slot(str, str)
    def show_confusion_cell(self, true_label: str, predicted_label: str) -> None:
        """List only the photos labelled `true_label` and predicted as `predicted_label`."""
        self.results_table.set_filter(ResultFilter("cell", predicted=predicted_label, true=true_label))
        listed_job_ids = self.results_table.shown_job_ids()
        if listed_job_ids:
            self.results_table.select_job(listed_job_ids[0])
        self.statusBar().showMessage(
            f"{messages.count(len(listed_job_ids), 'photo')} labelled {true_label} and predicted {predicted_label}."
        )

    @Slot()
    def _schedule_evaluation(self) -> None:
        if not self._evaluation_timer.isActive():
            self._evaluation_timer.start()

    @Slot(object)
    def _show_job(self, job_id: int | None) -> None:
        if job_id is None:
            self.detail_view.show_entry(None, None)
            return
        entry = self.queue.entry(job_id)
        detail = self.queue.detail(job_id)
        if detail is None and entry.status is PhotoStatus.DONE and not entry.detail_error:
            self.queue.request_detail(job_id)
        self.detail_view.show_entry(entry, detail)

    @Slot(int)
    def _on_entry_changed(self, job_id: int) -> None:
        entry = self.queue.entry(job_id)
        if job_id == self.results_table.current_job_id():
            self._show_job(job_id)
        if entry.true_label is not None:
            self._schedule_evaluation()

        if entry.status is PhotoStatus.DONE and entry.detail_error is None:
            self.statusBar().showMessage(messages.result_line(entry))
        elif entry.status is PhotoStatus.FAILED:
            self.statusBar().showMessage(f"Cannot classify {entry.name}: {entry.error}")

    @Slot(int)
    def _on_detail_ready(self, job_id: int) -> None:
        if job_id == self.results_table.current_job_id():
            self._show_job(job_id)

    @Slot(int, int)
    def _on_progress_changed(self, finished: int, total: int) -> None:
        running = total > 0 and finished < total
        self.progress_bar.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_action.setEnabled(running)
        if running:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(finished)

    @Slot()
    def _on_queue_idle(self) -> None:
        self.cancel_action.setEnabled(False)
        run = self.queue.last_run
        summary = messages.describe_run(run.classified, run.failed_names, run.cancelled)
        if run.notes:
            # A run of one photo has no summary, so the notes follow its result line.
            summary = " ".join([summary or self.statusBar().currentMessage(), *run.notes]).strip()
        if summary:
            self.statusBar().showMessage(summary)
        self.update_evaluation()

    def is_settled(self) -> bool:
        """Tell whether every photo is classified and the selected photo's detail and the thumbnails are on screen."""
        if self.queue.pending_count() or self.models.is_loading():
            return False
        self.results_table.request_visible_thumbnails()
        if self.queue.thumbnails.is_loading():
            return False
        job_id = self.results_table.current_job_id()
        if job_id is None:
            return True
        entry = self.queue.entry(job_id)
        return entry.status is not PhotoStatus.DONE or entry.detail_error is not None or (
            self.queue.detail(job_id) is not None and bool(self.detail_view.feature_maps.grids)
        )

    # The model

    def _show_model(self, model: ModelVersion) -> None:
        classifier = model.classifier
        self.setWindowTitle(f"cnn-lens — {classifier.path.name}")
        self.model_panel.set_model(model)
        self.results_table.set_labels(classifier.labels)
        self.detail_view.set_model_outputs(classifier.labels, classifier.has_attribution)

    @Slot(object)
    def _on_model_changed(self, model: ModelVersion) -> None:
        previous_path = self.queue.model.path
        requeued = self.queue.set_model(model)
        self._show_model(model)
        self._remember_model(model.path)
        self.update_evaluation()
        current = self.results_table.current_job_id()
        if current is not None:
            self._show_job(current)

        verb = "Reloaded the changed model file" if model.path == previous_path else "Opened the model"
        message = f"{verb} {model.path} (load {model.generation}, modified {model.modified})."
        if requeued:
            message += f" Classifying {messages.count(requeued, 'photo')} again."
        self.statusBar().showMessage(message)

    @Slot(str, str, bool)
    def _on_model_load_failed(self, path: str, reason: str, requested: bool) -> None:
        current = self.models.current.path
        message = f"Cannot load the model {path}: {reason}. Still using {current}."
        self.statusBar().showMessage(message)
        if requested:
            self._warn("Cannot open the model", message)

    def _warn(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()

    # Settings

    def _restore_settings(self) -> None:
        if self.settings is None:
            return
        geometry = self.settings.value(SETTING_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value(SETTING_WINDOW_STATE)
        if state is not None:
            self.restoreState(state)
        opacity = self.settings.value(SETTING_OPACITY)
        if opacity is not None:
            try:
                self.detail_view.opacity_slider.setValue(int(opacity))
            except (TypeError, ValueError):
                logger.warning("Ignoring the stored overlay opacity %r: not a whole number", opacity)
        self._last_open_dir = str(self.settings.value(SETTING_OPEN_DIR, "") or "")

    def save_settings(self) -> None:
        """Store the window geometry, panel layout, overlay opacity and model path."""
        if self.settings is None:
            return
        self.settings.setValue(SETTING_GEOMETRY, self.saveGeometry())
        self.settings.setValue(SETTING_WINDOW_STATE, self.saveState())
        self.settings.setValue(SETTING_OPACITY, self.detail_view.opacity_slider.value())
        self.settings.setValue(SETTING_OPEN_DIR, self._last_open_dir)
        self._remember_model(self.models.current.path)
        self.settings.sync()

    def _remember_model(self, path: Path) -> None:
        if self.settings is not None:
            self.settings.setValue(SETTING_LAST_MODEL, str(Path(path).resolve()))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.queue.shutdown()
        self.models.shutdown()
        if self._dropped_image_dir is not None:
            self._dropped_image_dir.remove()
        super().closeEvent(event)


def _is_droppable(mime: QMimeData) -> bool:
    return mime.hasUrls() or mime.hasImage()


def _record_of(entry: PhotoEntry) -> ResultRecord:
    labels = tuple(entry.model.classifier.labels)
    return ResultRecord(
        path=entry.path,
        labels=labels,
        probabilities=tuple(entry.summary.probabilities[label] for label in labels),
        true_label=entry.true_label,
        model=str(entry.model.path),
        model_modified=entry.model.modified,
    )
