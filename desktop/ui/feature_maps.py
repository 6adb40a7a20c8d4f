"""The scrolling panel of feature maps: one titled tile grid per conv block."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from desktop.ui.feature_map_grid import FeatureMapGrid
from desktop.ui.worker import FeatureMapTiles


def feature_map_title(feature_map: FeatureMapTiles) -> str:
    """Format a block's heading, such as `block1_conv  148×148×32` (height×width×channels)."""
    height, width, channels = feature_map.shape
    return f"{feature_map.name}  {height}×{width}×{channels}"


class FeatureMapsView(QScrollArea):
    """The feature maps of one photo, shallow blocks at the top."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.titles: list[QLabel] = []
        self.grids: list[FeatureMapGrid] = []
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
            layout.addWidget(title)
            layout.addWidget(grid)
            titles.append(title)
            grids.append(grid)

        self._set_content(layout)
        self.titles = titles
        self.grids = grids

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
