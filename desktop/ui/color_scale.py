"""A horizontal colour bar with the values its two ends stand for."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.ui.qimages import rgb_array_to_qimage

_BAR_HEIGHT = 12


class ColorScale(QWidget):
    """A colour map drawn from its first entry (left) to its last (right), with end values and a caption."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._bar = None
        self.low_text = ""
        self.high_text = ""
        self.caption = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_scale(self, colormap: np.ndarray, low_text: str, high_text: str, caption: str) -> None:
        """Show a (256, 3) uint8 colour map, the texts of its two ends and a caption above it."""
        self._bar = rgb_array_to_qimage(np.ascontiguousarray(colormap[np.newaxis, :, :]))
        self.low_text = low_text
        self.high_text = high_text
        self.caption = caption
        self.setToolTip(f"{caption}: {low_text} (left) to {high_text} (right)")
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(200, 2 * line + _BAR_HEIGHT + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(80, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._bar is None:
            return
        line = self.fontMetrics().height()
        painter = QPainter(self)
        # Text takes the palette's colour, so it reads on light and dark themes.
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(QRect(0, 0, self.width(), line), Qt.AlignmentFlag.AlignLeft, self.caption)
        bar = QRect(0, line + 2, self.width(), _BAR_HEIGHT)
        painter.drawImage(bar, self._bar)
        ends = QRect(0, bar.bottom() + 2, self.width(), line)
        painter.drawText(ends, Qt.AlignmentFlag.AlignLeft, self.low_text)
        painter.drawText(ends, Qt.AlignmentFlag.AlignRight, self.high_text)
