"""The results table: one sortable, filterable row per photo, with its thumbnail."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal, Slot
from PySide6.QtGui import QIcon, QImage, QKeyEvent, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.photo_queue import PhotoQueue
from desktop.ui.results_model import (
    CONFIDENCE_COLUMN,
    JOB_ID_ROLE,
    LABEL_COLUMN,
    NAME_COLUMN,
    THUMBNAIL_COLUMN,
    TRUE_LABEL_COLUMN,
    ResultFilter,
    ResultsModel,
    ResultsProxy,
)

# Side of the square each thumbnail is fitted into, in device-independent
# pixels. Thumbnails carry twice as many pixels, for screens with a device
# pixel ratio of 2.
THUMBNAIL_CELL = 48
_ROW_PADDING = 4


class ThumbnailDelegate(QStyledItemDelegate):
    """The thumbnail column's delegate: each thumbnail centred in its cell, aspect ratio kept.

    Portrait and landscape photos take the same cell, so the text columns
    stay aligned.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        # The base draws the selection background and focus frame only,
        # because the thumbnail column has no text.
        super().paint(painter, option, index)
        image = index.data(Qt.ItemDataRole.DecorationRole)
        if not isinstance(image, QImage) or image.isNull():
            return
        cell = QSize(THUMBNAIL_CELL, THUMBNAIL_CELL)
        target = image.size().scaled(cell, Qt.AspectRatioMode.KeepAspectRatio)
        rect = option.rect
        left = rect.left() + (rect.width() - target.width()) // 2
        top = rect.top() + (rect.height() - target.height()) // 2
        painter.save()
        # The painter maps device-independent pixels to device pixels, so a
        # 96-pixel thumbnail in a 48-pixel cell stays sharp at a ratio of 2.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRect(left, top, target.width(), target.height()), image)
        painter.restore()

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        # The thumbnail is painted above, not as the style's decoration.
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.HasDecoration
        option.icon = QIcon()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(THUMBNAIL_CELL + 2 * _ROW_PADDING, THUMBNAIL_CELL + 2 * _ROW_PADDING)


class _ResultsView(QTableView):
    def keyPressEvent(self, event: QKeyEvent) -> None:
        # QAbstractItemView copies the current cell's text on Ctrl+C. The
        # window's Copy Result action copies the whole result instead, so
        # the key is passed on to it.
        if event.matches(QKeySequence.StandardKey.Copy):
            event.ignore()
            return
        super().keyPressEvent(event)


class ResultsTable(QWidget):
    """The filter menu, the row count and the table of results.

    The current row is the photo in the detail view.
    """

    current_job_changed = Signal(object)  # job id, or None when no row is current

    def __init__(self, queue: PhotoQueue, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = ResultsModel(queue, self)
        self.proxy = ResultsProxy(self)
        self.proxy.setSourceModel(self.model)

        self.filter_box = QComboBox()
        self.filter_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filter_box.setToolTip("Show all photos, or only some of them")
        self.count_text = QLabel()
        self.count_text.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.view = _ResultsView()
        self.view.setModel(self.proxy)
        self.view.setItemDelegateForColumn(THUMBNAIL_COLUMN, ThumbnailDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the order photos were added
        self.view.setWordWrap(False)
        # Eliding at the end keeps the start of a file name or of a reason readable.
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(THUMBNAIL_CELL + 2 * _ROW_PADDING)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(THUMBNAIL_COLUMN, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(THUMBNAIL_COLUMN, THUMBNAIL_CELL + 2 * _ROW_PADDING)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        for column in (LABEL_COLUMN, CONFIDENCE_COLUMN, TRUE_LABEL_COLUMN):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(LABEL_COLUMN, 90)
        header.resizeSection(CONFIDENCE_COLUMN, 84)
        header.resizeSection(TRUE_LABEL_COLUMN, 84)
        header.setSortIndicatorShown(True)
        self.view.setColumnHidden(TRUE_LABEL_COLUMN, True)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:"))
        bar.addWidget(self.filter_box)
        bar.addStretch(1)
        bar.addWidget(self.count_text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, stretch=1)

        self._labels: list[str] = []
        self._filters: list[ResultFilter] = []
        self.set_labels([])
        self.filter_box.currentIndexChanged.connect(self._on_filter_chosen)
        self.view.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset, self.proxy.layoutChanged):
            signal.connect(self._update_count)
        self.model.dataChanged.connect(self._update_true_label_column)
        self.model.rowsInserted.connect(self._update_true_label_column)
        self.model.modelReset.connect(self._update_true_label_column)

    # Filtering

    def set_labels(self, labels: list[str]) -> None:
        """Offer a filter per predicted label of the model in use."""
        self._labels = list(labels)
        self._rebuild_filter_box(self.proxy.result_filter())

    def set_filter(self, result_filter: ResultFilter) -> None:
        """Show only the rows `result_filter` accepts, and select it in the filter menu."""
        self._rebuild_filter_box(result_filter)
        self.proxy.set_result_filter(result_filter)
        self._update_count()

    def result_filter(self) -> ResultFilter:
        return self.proxy.result_filter()

    def _rebuild_filter_box(self, selected: ResultFilter) -> None:
        filters = [ResultFilter()]
        filters += [ResultFilter("predicted", predicted=label) for label in self._labels]
        filters += [ResultFilter("misclassified"), ResultFilter("failed")]
        if selected not in filters:
            # A confusion-matrix cell, offered while it is selected.
            filters.append(selected)
        self._filters = filters

        self.filter_box.blockSignals(True)
        self.filter_box.clear()
        for result_filter in filters:
            self.filter_box.addItem(result_filter.describe())
        self.filter_box.setCurrentIndex(filters.index(selected))
        self.filter_box.blockSignals(False)

    @Slot(int)
    def _on_filter_chosen(self, index: int) -> None:
        if 0 <= index < len(self._filters):
            self.proxy.set_result_filter(self._filters[index])
            self._update_count()

    @Slot()
    def _update_count(self) -> None:
        visible_rows = self.proxy.rowCount()
        total = self.model.rowCount()
        if visible_rows == total:
            self.count_text.setText(f"{total} photo{'s' if total != 1 else ''}")
        else:
            self.count_text.setText(f"{visible_rows} of {total} photos")

    @Slot()
    def _update_true_label_column(self) -> None:
        self.view.setColumnHidden(TRUE_LABEL_COLUMN, not self.model.has_true_labels())

    # Current row

    def select_job(self, job_id: int) -> bool:
        """Make a photo's row current and scroll to it.

        Returns:
            False when the current filter hides the row, which is then not selected.
        """
        index = self.proxy.mapFromSource(self.model.index(self.model.row_of(job_id), NAME_COLUMN))
        if not index.isValid():
            return False
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.scrollTo(index)
        return True

    def select_row(self, row: int) -> None:
        """Make the row at position `row` of the sorted, filtered table current."""
        index = self.proxy.index(row, NAME_COLUMN)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.scrollTo(index)

    def select_next(self, step: int) -> bool:
        """Move the current row `step` rows down (negative: up) in the shown order.

        Returns:
            False when there is no row in that direction.
        """
        rows = self.proxy.rowCount()
        if rows == 0:
            return False
        current = self.view.currentIndex()
        if current.isValid():
            row = current.row() + step
        elif step > 0:
            row = 0
        else:
            row = rows - 1
        if not 0 <= row < rows:
            return False
        self.select_row(row)
        return True

    def current_job_id(self) -> int | None:
        index = self.view.currentIndex()
        return index.data(JOB_ID_ROLE) if index.isValid() else None

    def request_visible_thumbnails(self) -> None:
        """Ask for the thumbnail of every row on screen, so the missing ones start loading."""
        viewport = self.view.viewport().rect()
        first = self.view.rowAt(viewport.top())
        if first < 0:
            return
        last = self.view.rowAt(viewport.bottom())
        if last < 0:
            last = self.proxy.rowCount() - 1
        for row in range(first, last + 1):
            self.proxy.index(row, THUMBNAIL_COLUMN).data(Qt.ItemDataRole.DecorationRole)

    def shown_job_ids(self) -> list[int]:
        """Return the job ids of the rows shown, in the table's order."""
        return [self.proxy.index(row, 0).data(JOB_ID_ROLE) for row in range(self.proxy.rowCount())]

    def cell_text(self, row: int, column: int) -> str:
        """Return the text of a cell of the sorted, filtered table."""
        return self.proxy.index(row, column).data(Qt.ItemDataRole.DisplayRole) or ""

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.current_job_changed.emit(current.data(JOB_ID_ROLE) if current.isValid() else None)
