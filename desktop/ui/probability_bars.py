"""One horizontal bar per class, showing the probability the model gave it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

# QProgressBar takes integers, so probabilities are shown in steps of 0.1 %.
_BAR_STEPS = 1000


class ProbabilityBars(QWidget):
    """A labelled bar per class, in the model's label order."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.bars: dict[str, QProgressBar] = {}
        self.percentages: dict[str, QLabel] = {}
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setColumnStretch(1, 1)

    def set_probabilities(self, probabilities: dict[str, float]) -> None:
        """Show each label's probability (0 to 1) as a bar and a percentage."""
        if list(probabilities) != list(self.bars):
            self._rebuild(list(probabilities))
        for label, probability in probabilities.items():
            self.bars[label].setValue(round(probability * _BAR_STEPS))
            self.percentages[label].setText(f"{probability:.1%}")

    def clear(self) -> None:
        """Remove every bar."""
        self._rebuild([])

    def _rebuild(self, labels: list[str]) -> None:
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.bars = {}
        self.percentages = {}

        for row, label in enumerate(labels):
            bar = QProgressBar()
            bar.setRange(0, _BAR_STEPS)
            # The percentage goes in a label beside the bar, because text
            # drawn across the bar's edge is hard to read in some styles.
            bar.setTextVisible(False)
            percentage = QLabel()
            percentage.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            percentage.setMinimumWidth(percentage.fontMetrics().horizontalAdvance("100.0%"))
            self._layout.addWidget(QLabel(label), row, 0)
            self._layout.addWidget(bar, row, 1)
            self._layout.addWidget(percentage, row, 2)
            self.bars[label] = bar
            self.percentages[label] = percentage
