"""The scrolling panel of feature maps: one titled tile grid per conv block."""

from __future__ import annotations

import enum

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from desktop.ui.feature_map_grid import FeatureMapGrid
from desktop.ui.worker import FeatureMapTiles


class TileOrder(enum.Enum):
    CHANNEL = "Channel order"
    MEAN_ACTIVATION = "Highest mean activation first"


def feature_map_title(feature_map: FeatureMapTiles) -> str:
    """Format a block's heading, such as `block1_conv  148×148×32` (height×width×channels)."""
    height, width, channels = feature_map.shape
    return f"{feature_map.name}  {height}×{width}×{channels}"


def tile_order(feature_map: FeatureMapTiles, order: TileOrder) -> list[int]:
    """Return the channel indices of a block in display order.

    Sorting by mean activation is stable, so channels with equal means, such
    as channels that are zero everywhere, keep their channel order.
    """
    if order is TileOrder.MEAN_ACTIVATION:
        return [int(channel) for channel in np.argsort(-feature_map.means, kind="stable")]
    return list(range(feature_map.channel_count))


class FeatureMapsView(QScrollArea):
    """The feature maps of one photo, shallow blocks at the top.

    Clicking a tile emits `tile_clicked` with the block's tiles and the
    channel index.
    """

    tile_clicked = Signal(object, int)  # FeatureMapTiles, channel index

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.titles: list[QLabel] = []
        self.grids: list[FeatureMapGrid] = []
        self.order = TileOrder.CHANNEL
        self._selected: tuple[str, int] | None = None
        self._message = ""
        self.show_message("")

    def set_feature_maps(self, feature_maps: tuple[FeatureMapTiles, ...]) -> None:
        """Replace the grids with one titled grid per conv block."""
        titles = []
        grids = []
        layout = QVBoxLayout()
        for index, feature_map in enumerate(feature_maps):
            if index > 0:
                layout.addSpacing(10)
            title = QLabel(feature_map_title(feature_map))
            title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            font = title.font()
            font.setBold(True)
            title.setFont(font)
            grid = FeatureMapGrid(feature_map)
            grid.set_order(tile_order(feature_map, self.order))
            grid.tile_clicked.connect(lambda channel, grid=grid: self.tile_clicked.emit(grid.feature_map, channel))
            layout.addWidget(title)
            layout.addWidget(grid)
            titles.append(title)
            grids.append(grid)

        self._set_content(layout)
        self.titles = titles
        self.grids = grids
        self._show_selection()

    def set_order(self, order: TileOrder) -> None:
        """Order every block's tiles by channel index or by mean activation."""
        self.order = order
        for grid in self.grids:
            grid.set_order(tile_order(grid.feature_map, order))

    def set_selected(self, name: str | None, channel: int | None) -> None:
        """Frame one channel's tile in the block called `name`, or none."""
        self._selected = (name, channel) if name is not None and channel is not None else None
        self._show_selection()

    def grid_named(self, name: str) -> FeatureMapGrid | None:
        return next((grid for grid in self.grids if grid.feature_map.name == name), None)

    def show_message(self, text: str) -> None:
        """Replace the grids with a line of text, such as why there are none."""
        label = QLabel(text)
        label.setWordWrap(True)
        layout = QVBoxLayout()
        layout.addWidget(label)

        self._set_content(layout)
        self._message = text

    def message(self) -> str:
        """Return the text shown in place of the grids, or an empty string while grids are shown."""
        return self._message

    def _show_selection(self) -> None:
        for grid in self.grids:
            selected = self._selected is not None and self._selected[0] == grid.feature_map.name
            channel = self._selected[1] if selected else None
            grid.set_selected_channel(channel if channel is not None and channel < grid.tile_count else None)

    def _set_content(self, layout: QVBoxLayout) -> None:
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addStretch(1)
        content = QWidget()
        content.setLayout(layout)
        # The content is complete before setWidget, which shows it with its
        # children at once and deletes the previous content with its tiles.
        self.setWidget(content)
        self.titles = []
        self.grids = []
        self._message = ""
