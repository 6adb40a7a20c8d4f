"""A grid of one conv block's channel tiles that reflows with its width."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop.ui.worker import FeatureMapTiles

# Space between tiles, in pixels.
TILE_GAP = 2

# A tile is drawn at half its activation width, within these bounds in pixels.
# A 148x148 map becomes a 72-pixel tile and a 17x17 map a 24-pixel one. The
# deep blocks' many small maps thus take less room than the few large ones.
MIN_TILE_WIDTH = 24
MAX_TILE_WIDTH = 72


class FeatureMapGrid(QWidget):
    """Every channel of one conv block as a tile, row by row, in a chosen channel order.

    Clicking a tile emits `tile_clicked` with its channel index. The
    selected channel is framed in the palette's highlight colour.
    """

    tile_clicked = Signal(int)  # channel index

    def __init__(self, feature_map: FeatureMapTiles, parent: QWidget | None = None):
        super().__init__(parent)
        self.feature_map = feature_map
        self.order: list[int] = list(range(feature_map.channel_count))
        self.selected_channel: int | None = None
        map_width = feature_map.shape[1]
        self._target_width = min(MAX_TILE_WIDTH, max(MIN_TILE_WIDTH, round(map_width / 2)))

        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(f"{feature_map.name} feature maps")

    @property
    def tile_count(self) -> int:
        return self.feature_map.channel_count

    def set_order(self, order: list[int]) -> None:
        """Draw the channels in this order: a permutation of 0 to channels - 1.

        Raises:
            ValueError: `order` is not such a permutation.
        """
        if sorted(order) != list(range(self.tile_count)):
            raise ValueError(f"order must list each of the {self.tile_count} channels once, got {order}")
        self.order = list(order)
        self.update()

    def set_selected_channel(self, channel: int | None) -> None:
        self.selected_channel = channel
        self.update()

    def tile_rect(self, channel: int) -> QRect:
        """Return where a channel's tile is drawn, in widget coordinates."""
        columns, tile_width = self._layout(self.width())
        tile_height = self._tile_height(tile_width)
        row, column = divmod(self.order.index(channel), columns)
        return QRect(column * (tile_width + TILE_GAP), row * (tile_height + TILE_GAP), tile_width, tile_height)

    def channel_at(self, point: QPoint) -> int | None:
        """Return the channel whose tile is under `point`, or None over a gap or past the last tile."""
        columns, tile_width = self._layout(self.width())
        tile_height = self._tile_height(tile_width)
        column, x_offset = divmod(point.x(), tile_width + TILE_GAP)
        row, y_offset = divmod(point.y(), tile_height + TILE_GAP)
        if point.x() < 0 or point.y() < 0 or column >= columns or x_offset >= tile_width or y_offset >= tile_height:
            return None
        position = row * columns + column
        return self.order[position] if position < self.tile_count else None

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        columns, tile_width = self._layout(width)
        rows = math.ceil(self.tile_count / columns)
        return rows * self._tile_height(tile_width) + (rows - 1) * TILE_GAP

    def sizeHint(self) -> QSize:
        width = 12 * (self._target_width + TILE_GAP)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        return QSize(MIN_TILE_WIDTH, MIN_TILE_WIDTH)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        channel = self.channel_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and channel is not None:
            self.tile_clicked.emit(channel)
            event.accept()
            return
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            channel = self.channel_at(event.pos())
            if channel is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.describe_channel(channel), self)
            return True
        return super().event(event)

    def describe_channel(self, channel: int) -> str:
        """Summarise one channel's activations for its tooltip."""
        tiles = self.feature_map
        return (
            f"{tiles.name}, channel {channel}\n"
            f"values {tiles.minimums[channel]:.3g} to {tiles.maximums[channel]:.3g}, "
            f"mean {tiles.means[channel]:.3g}\n"
            "colours run from the channel's minimum (dark purple) to its maximum (yellow). "
            "Click to enlarge."
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        columns, tile_width = self._layout(self.width())
        tile_height = self._tile_height(tile_width)
        map_height, map_width, _ = self.feature_map.shape

        painter = QPainter(self)
        # Smooth filtering when shrinking keeps thin activations visible, but
        # enlarged small maps stay blocky so each activation reads as a cell.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, tile_width < map_width)
        for position, channel in enumerate(self.order):
            row, column = divmod(position, columns)
            target = QRect(
                column * (tile_width + TILE_GAP),
                row * (tile_height + TILE_GAP),
                tile_width,
                tile_height,
            )
            if not target.intersects(event.rect()):
                continue
            source = QRect(0, channel * map_height, map_width, map_height)
            painter.drawImage(target, self.feature_map.tiles, source)

        if self.selected_channel is not None:
            pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), 2)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.tile_rect(self.selected_channel).adjusted(-1, -1, 1, 1))

    def _layout(self, width: int) -> tuple[int, int]:
        """Return (columns, tile width in pixels) that fill `width`."""
        columns = (width + TILE_GAP) // (self._target_width + TILE_GAP)
        columns = max(1, min(self.tile_count, columns))
        tile_width = (width - (columns - 1) * TILE_GAP) // columns
        return columns, max(1, min(tile_width, 2 * self._target_width))

    def _tile_height(self, tile_width: int) -> int:
        map_height, map_width, _ = self.feature_map.shape
        return max(1, round(tile_width * map_height / map_width))
