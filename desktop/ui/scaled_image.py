"""A widget that shows an image scaled to fit, aspect ratio kept, with an optional overlay."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget


class ScaledImage(QWidget):
    """An image drawn as large as the widget allows, top-centred, never distorted.

    Unlike a QLabel with a pixmap, it shrinks with the window instead of
    holding it at the image's size. An overlay image of any size is
    stretched over the image's rectangle, such as a heatmap computed at a
    model's input resolution.
    """

    def __init__(self, parent: QWidget | None = None, smooth: bool = True):
        super().__init__(parent)
        self._pixmap = QPixmap()
        self._overlay = QPixmap()
        self._overlay_image: QImage | None = None
        # Smooth scaling suits photos. Enlarged activation maps stay blocky
        # without it, so each activation reads as one cell.
        self._smooth = smooth
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 90)

    def set_image(self, image: QImage | None) -> None:
        """Show `image`, or nothing if it is None. The overlay is removed."""
        self._pixmap = QPixmap.fromImage(image) if image is not None else QPixmap()
        self._overlay = QPixmap()
        self._overlay_image = None
        self.update()

    def set_overlay(self, overlay: QImage | None) -> None:
        """Draw `overlay` (with its alpha channel) stretched over the image, or no overlay if None."""
        self._overlay = QPixmap.fromImage(overlay) if overlay is not None else QPixmap()
        self._overlay_image = overlay
        self.update()

    def overlay_image(self) -> QImage | None:
        """Return the overlay drawn over the image, or None."""
        return self._overlay_image

    def image_size(self) -> QSize:
        """Return the size in pixels of the image shown, or an empty size when none is shown."""
        return self._pixmap.size()

    def image_rect(self) -> QRect:
        """Return where the image is drawn, in widget coordinates."""
        if self._pixmap.isNull():
            return QRect()
        target = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        left = (self.width() - target.width()) // 2
        return QRect(left, 0, target.width(), target.height())

    def sizeHint(self) -> QSize:
        return QSize(400, 300)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._pixmap.isNull():
            return
        rect = self.image_rect()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._smooth)
        painter.drawPixmap(rect, self._pixmap)
        if not self._overlay.isNull():
            # A heatmap of a few cells per side is smoothed, so its blobs
            # do not read as sharp-edged squares over the photo.
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawPixmap(rect, self._overlay)
