"""A widget that shows an image scaled to fit, aspect ratio kept."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget


class ScaledImage(QWidget):
    """An image drawn as large as the widget allows, top-centred, never distorted.

    Unlike a QLabel with a pixmap, it shrinks with the window instead of
    holding it at the image's size.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._pixmap = QPixmap()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 90)

    def set_image(self, image: QImage | None) -> None:
        """Show `image`, or nothing if it is None."""
        self._pixmap = QPixmap.fromImage(image) if image is not None else QPixmap()
        self.update()

    def image_size(self) -> QSize:
        """Return the size in pixels of the image shown, or an empty size when none is shown."""
        return self._pixmap.size()

    def sizeHint(self) -> QSize:
        return QSize(400, 300)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._pixmap.isNull():
            return
        target = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        left = (self.width() - target.width()) // 2

        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(QRect(left, 0, target.width(), target.height()), self._pixmap)
