"""The results table's Qt models: one row per photo, and a proxy that sorts and filters them."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt, Slot
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from desktop.ui.photo_queue import PhotoEntry, PhotoQueue, PhotoStatus
from desktop.ui.theme import error_color

JOB_ID_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

THUMBNAIL_COLUMN = 0
NAME_COLUMN = 1
LABEL_COLUMN = 2
CONFIDENCE_COLUMN = 3
TRUE_LABEL_COLUMN = 4
_HEADERS = ("", "File", "Label", "Confidence", "True label")

NOVELTY_FLAG = "Unlike the training photos: the label may be meaningless"


# A question mark, not the warning sign of photos that could not be read,
# because the label remains valid and the flag only questions how far to trust it.
NOVELTY_ICON = QStyle.StandardPixmap.SP_MessageBoxQuestion


def novelty_explanation(novelty: float, threshold: float) -> str:
    """Explain the novelty flag in a sentence or two, for tooltips."""
    return (
        f"Novelty {novelty:.2f} is above the model's threshold of {threshold:.2f}. Novelty is the "
        "Mahalanobis distance of this photo's conv-block statistics (each channel's mean and "
        "spread) from those of the training photos. A photo far from all of them shows something the model never "
        "learned, so its probabilities may not mean anything."
    )


def is_novel(entry: PhotoEntry) -> bool:
    """Tell whether a classified photo's novelty is above its model's threshold."""
    if entry.summary is None or entry.model is None or entry.summary.novelty is None:
        return False
    threshold = entry.model.classifier.novelty_threshold
    return threshold is not None and entry.summary.novelty > threshold


def is_misclassified(entry: PhotoEntry) -> bool:
    return (
        entry.status is PhotoStatus.DONE
        and entry.true_label is not None
        and entry.summary.label != entry.true_label
    )


def outcome_text(entry: PhotoEntry) -> str:
    """Describe a photo's state in a few words: its label, or why it has none."""
    if entry.status is PhotoStatus.DONE:
        return entry.summary.label
    if entry.status is PhotoStatus.FAILED:
        return entry.error or "failed"
    if entry.status is PhotoStatus.CANCELLED:
        return "cancelled"
    return "classifying…"


class ResultsModel(QAbstractTableModel):
    """The queue's entries as table rows, in the order they were added."""

    def __init__(self, queue: PhotoQueue, parent: QObject | None = None):
        super().__init__(parent)
        self._queue = queue
        self._job_ids: list[int] = []
        self._rows: dict[int, int] = {}  # job id -> row
        self._has_true_labels = False
        queue.entries_added.connect(self._on_entries_added)
        queue.entry_changed.connect(self._on_entry_changed)
        queue.cleared.connect(self._on_cleared)
        queue.thumbnails.ready.connect(self._on_thumbnail_ready)

    def has_true_labels(self) -> bool:
        """Tell whether any photo came from a labelled folder."""
        return self._has_true_labels

    def entry_at(self, row: int) -> PhotoEntry:
        return self._queue.entry(self._job_ids[row])

    def row_of(self, job_id: int) -> int:
        return self._rows[job_id]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._job_ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            if section == CONFIDENCE_COLUMN:
                return "Probability of the predicted label, from the model's softmax or sigmoid output"
            if section == TRUE_LABEL_COLUMN:
                return "The sub-folder the photo came from, in a folder with one sub-folder per label"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        entry = self.entry_at(index.row())
        column = index.column()

        if role == JOB_ID_ROLE:
            return entry.job_id
        if role == SORT_ROLE:
            return _sort_key(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(entry)
        if column == THUMBNAIL_COLUMN:
            # Only photos read once have a thumbnail to read again.
            if role == Qt.ItemDataRole.DecorationRole and entry.facts is not None:
                return self._queue.thumbnails.get(entry.job_id, entry.path)
            return None
        if column == NAME_COLUMN and role == Qt.ItemDataRole.DisplayRole:
            return entry.name
        if column == LABEL_COLUMN:
            return self._label_data(entry, role)
        if column == CONFIDENCE_COLUMN:
            if role == Qt.ItemDataRole.DisplayRole and entry.status is PhotoStatus.DONE:
                return f"{entry.summary.confidence:.1%}"
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if column == TRUE_LABEL_COLUMN:
            if role == Qt.ItemDataRole.DisplayRole:
                return entry.true_label or ""
            if role == Qt.ItemDataRole.DecorationRole and entry.true_label and entry.status is PhotoStatus.DONE:
                pixmap = (
                    QStyle.StandardPixmap.SP_DialogCancelButton
                    if is_misclassified(entry)
                    else QStyle.StandardPixmap.SP_DialogApplyButton
                )
                return QApplication.style().standardIcon(pixmap)
        return None

    def _label_data(self, entry: PhotoEntry, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            return outcome_text(entry)
        if role == Qt.ItemDataRole.ForegroundRole and entry.status is PhotoStatus.FAILED:
            return QBrush(error_color(QApplication.palette()))
        if role == Qt.ItemDataRole.ForegroundRole and entry.status is not PhotoStatus.DONE:
            return QApplication.palette().brush(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.DecorationRole:
            if entry.status is PhotoStatus.FAILED:
                return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            if is_novel(entry):
                return QApplication.style().standardIcon(NOVELTY_ICON)
        return None

    @Slot(list)
    def _on_entries_added(self, job_ids: list[int]) -> None:
        first = len(self._job_ids)
        self.beginInsertRows(QModelIndex(), first, first + len(job_ids) - 1)
        for offset, job_id in enumerate(job_ids):
            self._job_ids.append(job_id)
            self._rows[job_id] = first + offset
            if self._queue.entry(job_id).true_label is not None:
                self._has_true_labels = True
        self.endInsertRows()

    @Slot(int)
    def _on_entry_changed(self, job_id: int) -> None:
        row = self._rows.get(job_id)
        if row is None:
            return
        if self._queue.entry(job_id).true_label is not None:
            self._has_true_labels = True
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(_HEADERS) - 1))

    @Slot(int)
    def _on_thumbnail_ready(self, job_id: int) -> None:
        row = self._rows.get(job_id)
        if row is not None:
            index = self.index(row, THUMBNAIL_COLUMN)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    @Slot()
    def _on_cleared(self) -> None:
        self.beginResetModel()
        self._job_ids = []
        self._rows = {}
        self._has_true_labels = False
        self.endResetModel()


def _sort_key(entry: PhotoEntry, column: int):
    # Rows without a result sort after every classified row when ascending.
    if column == NAME_COLUMN:
        return entry.name.casefold()
    if column == LABEL_COLUMN:
        return outcome_text(entry).casefold() if entry.status is PhotoStatus.DONE else "\uffff" + entry.status.value
    if column == CONFIDENCE_COLUMN:
        return entry.summary.confidence if entry.status is PhotoStatus.DONE else -1.0
    if column == TRUE_LABEL_COLUMN:
        return (entry.true_label or "\uffff").casefold()
    return entry.job_id


def _tooltip(entry: PhotoEntry) -> str:
    lines = [str(entry.path)]
    if entry.status is PhotoStatus.DONE:
        summary = entry.summary
        lines.append(f"{summary.label} ({summary.confidence:.1%})")
        if entry.true_label is not None:
            lines.append(f"True label: {entry.true_label}")
        if is_novel(entry):
            lines.append(f"{NOVELTY_FLAG}.")
        lines.append(f"Model: {entry.model.path.name} (load {entry.model.generation})")
    else:
        lines.append(outcome_text(entry))
    return "\n".join(lines)


@dataclass(frozen=True)
class ResultFilter:
    """A rule for the rows the results table shows.

    `kind` is "all", "predicted" (rows whose predicted label is
    `predicted`), "misclassified", "failed" or "cell" (rows whose true label
    is `true` and predicted label `predicted`, a confusion-matrix cell).
    """

    kind: str = "all"
    predicted: str | None = None
    true: str | None = None

    def accepts(self, entry: PhotoEntry) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "failed":
            return entry.status is PhotoStatus.FAILED
        if self.kind == "misclassified":
            return is_misclassified(entry)
        if entry.status is not PhotoStatus.DONE:
            return False
        if self.kind == "predicted":
            return entry.summary.label == self.predicted
        if self.kind == "cell":
            return entry.true_label == self.true and entry.summary.label == self.predicted
        raise ValueError(f"unknown filter kind {self.kind!r}")

    def describe(self) -> str:
        """Name the filter for the filter menu, such as "True cat, predicted dog"."""
        if self.kind == "all":
            return "All photos"
        if self.kind == "failed":
            return "Not classified"
        if self.kind == "misclassified":
            return "Misclassified"
        if self.kind == "predicted":
            return f"Predicted {self.predicted}"
        return f"True {self.true}, predicted {self.predicted}"


class ResultsProxy(QSortFilterProxyModel):
    """A proxy that sorts rows by `SORT_ROLE` and shows those its `ResultFilter` accepts."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._filter = ResultFilter()
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def result_filter(self) -> ResultFilter:
        return self._filter

    def set_result_filter(self, result_filter: ResultFilter) -> None:
        if result_filter == self._filter:
            return
        # PySide6 6.12 warns that invalidateRowsFilter() is deprecated in
        # favour of this pair, which older supported versions lack.
        if hasattr(self, "endFilterChange"):
            self.beginFilterChange()
            self._filter = result_filter
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._filter = result_filter
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        return self._filter.accepts(model.entry_at(source_row))
