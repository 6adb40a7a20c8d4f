"""Accuracy, per-class precision and recall, and the confusion matrix of labelled photos."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.results import Evaluation

# Strongest tint of a confusion-matrix cell: the palette's highlight colour
# at this opacity over the table's background, so the cell's text colour
# stays readable on light and dark palettes.
_MAX_CELL_TINT = 0.55


class EvaluationPanel(QWidget):
    """Figures for the photos of labelled folders, computed by `desktop.core.results.evaluate_records`.

    Clicking a confusion-matrix cell emits `cell_clicked` with its true and
    predicted label, so the window can list that cell's photos.
    """

    cell_clicked = Signal(str, str)  # true label, predicted label
    show_misclassified = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.labels: list[str] = []
        self.evaluation: Evaluation | None = None

        heading = QLabel("Labelled photos")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        self.accuracy_text = QLabel()
        self.accuracy_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.accuracy_text.setWordWrap(True)
        self.misclassified_button = QPushButton()
        self.misclassified_button.setToolTip("List the photos whose predicted label differs from their folder's")
        self.misclassified_button.clicked.connect(self.show_misclassified)

        matrix_caption = QLabel("Confusion matrix (rows: true label, columns: predicted). Click a cell to list its photos.")
        matrix_caption.setWordWrap(True)
        self.matrix = QTableWidget()
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.matrix.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.matrix.cellClicked.connect(self._on_cell_clicked)

        self.per_class = QTableWidget()
        self.per_class.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.per_class.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.per_class.setColumnCount(3)
        self.per_class.setHorizontalHeaderLabels(["Precision", "Recall", "Photos"])
        self.per_class.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.misclassified_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.accuracy_text)
        layout.addWidget(matrix_caption)
        layout.addWidget(self.matrix)
        layout.addWidget(self.per_class)
        layout.addStretch(1)

    def set_evaluation(self, evaluation: Evaluation, pending: int, failed: int) -> None:
        """Show an evaluation's figures.

        Args:
            evaluation: from `evaluate_records` over the classified labelled photos.
            pending: labelled photos not classified yet, or cancelled.
            failed: labelled photos that could not be read.
        """
        self.evaluation = evaluation
        summary = evaluation.summary
        self.labels = list(summary["labels"])
        count = summary["n_images"]
        correct = sum(summary["confusion_matrix"][i][i] for i in range(len(self.labels)))

        sentences = [f"Accuracy {summary['accuracy']:.1%}: {correct} of {count} photos correct."]
        if pending:
            sentences.append(f"{pending} labelled photo{'s are' if pending != 1 else ' is'} not classified yet.")
        if failed:
            sentences.append(f"{failed} could not be read and {'are' if failed != 1 else 'is'} not counted.")
        self.accuracy_text.setText(" ".join(sentences))
        misclassified = len(evaluation.misclassified)
        self.misclassified_button.setText(f"Show misclassified ({misclassified})")
        self.misclassified_button.setEnabled(misclassified > 0)

        self._fill_matrix(summary["confusion_matrix"])
        self._fill_per_class(summary["per_class"])
        for table in (self.matrix, self.per_class):
            _fit_height(table)

    def _fill_matrix(self, matrix: list[list[int]]) -> None:
        size = len(self.labels)
        self.matrix.setRowCount(size)
        self.matrix.setColumnCount(size)
        self.matrix.setHorizontalHeaderLabels(self.labels)
        self.matrix.setVerticalHeaderLabels(self.labels)
        largest = max((count for row in matrix for count in row), default=0)
        palette = self.matrix.palette()
        base = palette.color(QPalette.ColorRole.Base)
        highlight = palette.color(QPalette.ColorRole.Highlight)

        for true in range(size):
            for predicted in range(size):
                count = matrix[true][predicted]
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setToolTip(
                    f"{count} photo{'s' if count != 1 else ''} labelled {self.labels[true]} "
                    f"and predicted {self.labels[predicted]}"
                )
                if largest:
                    item.setBackground(QBrush(_blend(base, highlight, _MAX_CELL_TINT * count / largest)))
                if true == predicted:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.matrix.setItem(true, predicted, item)

    def _fill_per_class(self, per_class: dict) -> None:
        self.per_class.setRowCount(len(self.labels))
        self.per_class.setVerticalHeaderLabels(self.labels)
        for row, label in enumerate(self.labels):
            stats = per_class[label]
            values = (f"{stats['precision']:.1%}", f"{stats['recall']:.1%}", str(stats["support"]))
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.per_class.setItem(row, column, item)

    @Slot(int, int)
    def _on_cell_clicked(self, row: int, column: int) -> None:
        if 0 <= row < len(self.labels) and 0 <= column < len(self.labels):
            self.cell_clicked.emit(self.labels[row], self.labels[column])


def _fit_height(table: QTableWidget) -> None:
    # A few classes need a few rows: the table takes their height, not the
    # panel's, and scrolls only when the rows do not fit the panel.
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.resizeRowsToContents()
    rows = sum(table.rowHeight(row) for row in range(table.rowCount()))
    frame = 2 * table.frameWidth()
    table.setMaximumHeight(table.horizontalHeader().sizeHint().height() + rows + frame)


def _blend(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(
        base.redF() + (tint.redF() - base.redF()) * amount,
        base.greenF() + (tint.greenF() - base.greenF()) * amount,
        base.blueF() + (tint.blueF() - base.blueF()) * amount,
    )
