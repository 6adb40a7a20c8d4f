"""A grid of one conv block's channel tiles that reflows with its width."""

from __future__ import annotations

import math

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.ui.worker import FeatureMapTiles

# Space between tiles, in pixels.
TILE_GAP = 2

# A tile is drawn at half its activation width, within these bounds in pixels.
# A 148x148 map becomes a 72-pixel tile and a 17x17 map a 24-pixel one. The
# deep blocks' many small maps thus take less room than the few large ones.
MIN_TILE_WIDTH = 24
MAX_TILE_WIDTH = 72


class FeatureMapGrid(QWidget):
    """Every channel of one conv block as a tile, in channel order, row by row."""

    def __init__(self, feature_map: FeatureMapTiles, parent: QWidget | None = None):
        super().__init__(parent)
        self.feature_map = feature_map
        map_width = feature_map.shape[1]
        self._target_width = min(MAX_TILE_WIDTH, max(MIN_TILE_WIDTH, round(map_width / 2)))

        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setToolTip(
            f"{feature_map.name}: {feature_map.channel_count} channels, each scaled "
            "from its own minimum (dark purple) to its maximum (yellow)"
        )

    @property
    def tile_count(self) -> int:
        return self.feature_map.channel_count

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

    def paintEvent(self, event: QPaintEvent) -> None:
        columns, tile_width = self._layout(self.width())
        tile_height = self._tile_height(tile_width)
        map_height, map_width, _ = self.feature_map.shape

        painter = QPainter(self)
        # Smooth filtering when shrinking keeps thin activations visible, but
        # enlarged small maps stay blocky so each activation reads as a cell.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, tile_width < map_width)
        for channel in range(self.tile_count):
            row, column = divmod(channel, columns)
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

    def _layout(self, width: int) -> tuple[int, int]:
        """Return (columns, tile width in pixels) that fill `width`."""
        columns = (width + TILE_GAP) // (self._target_width + TILE_GAP)
        columns = max(1, min(self.tile_count, columns))
        tile_width = (width - (columns - 1) * TILE_GAP) // columns
        return columns, max(1, min(tile_width, 2 * self._target_width))

    def _tile_height(self, tile_width: int) -> int:
        map_height, map_width, _ = self.feature_map.shape
        return max(1, round(tile_width * map_height / map_width))
