"""The list of added photos: one row per file with its thumbnail and result or error."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QStyle, QWidget

from desktop.ui.photo_queue import PhotoEntry, PhotoStatus
from desktop.ui.theme import ERROR_COLOR

ICON_SIZE = QSize(64, 64)

_JOB_ID_ROLE = Qt.ItemDataRole.UserRole


def row_text(entry: PhotoEntry) -> str:
    """Format a row's two lines: the file name, then the result or the reason it failed."""
    if entry.status is PhotoStatus.DONE:
        outcome = f"{entry.summary.label}  {entry.summary.confidence:.1%}"
    elif entry.status is PhotoStatus.FAILED:
        outcome = entry.error or "failed"
    elif entry.status is PhotoStatus.CANCELLED:
        outcome = "cancelled"
    else:
        outcome = "classifying…"
    return f"{entry.name}\n{outcome}"


class ResultsList(QListWidget):
    """Rows in the order photos were added. The current row is the photo in the detail view."""

    current_job_changed = Signal(object)  # job id, or None when no row is current

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._items: dict[int, QListWidgetItem] = {}
        self.setIconSize(ICON_SIZE)
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.currentItemChanged.connect(self._on_current_item_changed)

        self._waiting_icon = QIcon(_square_pixmap(None))
        self._error_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

    def add_entry(self, entry: PhotoEntry) -> None:
        """Append a row for a newly added photo."""
        item = QListWidgetItem()
        item.setData(_JOB_ID_ROLE, entry.job_id)
        self._items[entry.job_id] = item
        self.addItem(item)
        self.update_entry(entry)

    def update_entry(self, entry: PhotoEntry) -> None:
        """Redraw a photo's row after its status changed."""
        item = self._items[entry.job_id]
        item.setText(row_text(entry))
        item.setToolTip(f"{entry.path}\n{row_text(entry).splitlines()[1]}")

        if entry.status is PhotoStatus.DONE:
            item.setIcon(QIcon(_square_pixmap(entry.summary.thumbnail)))
        elif entry.status is PhotoStatus.FAILED:
            item.setIcon(self._error_icon)
        else:
            item.setIcon(self._waiting_icon)

        is_error = entry.status is PhotoStatus.FAILED
        item.setForeground(QBrush(QColor(ERROR_COLOR)) if is_error else QBrush())

    def select_job(self, job_id: int) -> None:
        """Make a photo's row current and scroll to it."""
        item = self._items[job_id]
        self.setCurrentItem(item)
        self.scrollToItem(item)

    def current_job_id(self) -> int | None:
        item = self.currentItem()
        return item.data(_JOB_ID_ROLE) if item is not None else None

    def row_of(self, job_id: int) -> int:
        return self.row(self._items[job_id])

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_current_item_changed(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        self.current_job_changed.emit(current.data(_JOB_ID_ROLE) if current is not None else None)


def _square_pixmap(image: QImage | None) -> QPixmap:
    # Portrait and landscape thumbnails are centred on a square, because the
    # list places each row's text after its icon's actual width.
    pixmap = QPixmap(ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    if image is None:
        return pixmap
    scaled = image.scaled(ICON_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    painter = QPainter(pixmap)
    painter.drawImage((ICON_SIZE.width() - scaled.width()) // 2, (ICON_SIZE.height() - scaled.height()) // 2, scaled)
    painter.end()
    return pixmap
