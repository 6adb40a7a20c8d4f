"""A window that shows one feature-map channel enlarged, with its value range and colour scale."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from desktop.core.colormaps import VIRIDIS
from desktop.ui.color_scale import ColorScale
from desktop.ui.scaled_image import ScaledImage
from desktop.ui.worker import FeatureMapTiles


class FeatureMapDialog(QDialog):
    """One channel of a conv block, drawn large and blocky so each activation is a visible cell.

    The dialog is not modal: the window keeps working, and clicking another
    tile shows that tile here.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.feature_map: FeatureMapTiles | None = None
        self.channel: int | None = None

        self.heading = QLabel()
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.image = ScaledImage(smooth=False)
        self.image.setMinimumSize(256, 256)
        self.range_text = QLabel()
        self.range_text.setWordWrap(True)
        self.range_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.scale = ColorScale()

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.image, stretch=1)
        layout.addWidget(self.scale)
        layout.addWidget(self.range_text)
        self.resize(420, 520)

    def show_channel(self, feature_map: FeatureMapTiles, channel: int) -> None:
        """Show one channel of `feature_map` and raise the dialog."""
        if not 0 <= channel < feature_map.channel_count:
            raise ValueError(f"channel must be 0 to {feature_map.channel_count - 1}, got {channel}")
        self.feature_map = feature_map
        self.channel = channel
        height, width, channels = feature_map.shape
        low = float(feature_map.minimums[channel])
        high = float(feature_map.maximums[channel])
        mean = float(feature_map.means[channel])

        self.setWindowTitle(f"{feature_map.name}, channel {channel}")
        self.heading.setText(f"{feature_map.name}, channel {channel} of {channels}  ({height}×{width})")
        tile = feature_map.tiles.copy(QRect(0, channel * height, width, height))
        self.image.set_image(tile)
        self.scale.set_scale(VIRIDIS, f"{low:.3g}", f"{high:.3g}", "Activation")
        if high > low:
            self.range_text.setText(
                f"Values {low:.4g} to {high:.4g}, mean {mean:.4g}. Colours are scaled to this "
                "channel's own range, so tiles of different channels are not comparable by colour."
            )
        else:
            self.range_text.setText(
                f"Every value is {low:.4g}: this channel is constant for this photo, "
                "so it is drawn in the colour of the minimum."
            )
        self.show()
        self.raise_()
