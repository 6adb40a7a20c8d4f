"""The detail view of the selected photo: photo, label, confidence, class bars, overlays and feature maps."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.core.colormaps import INFERNO, VIRIDIS, heatmap_rgba, positive_evidence
from desktop.ui.color_scale import ColorScale
from desktop.ui.feature_map_dialog import FeatureMapDialog
from desktop.ui.feature_maps import FeatureMapsView, TileOrder
from desktop.ui.photo_queue import PhotoEntry, PhotoStatus
from desktop.ui.probability_bars import ProbabilityBars
from desktop.ui.qimages import rgba_array_to_qimage
from desktop.ui.results_model import NOVELTY_FLAG, NOVELTY_ICON, is_novel, novelty_explanation
from desktop.ui.scaled_image import ScaledImage
from desktop.ui.theme import error_color
from desktop.ui.worker import FeatureMapTiles, PhotoDetail

EMPTY_HINT = "Drop photos or folders here, or open them with File > Open Photos (Ctrl+O) or Open Folder (Ctrl+Shift+O)."

# Overlay opacity at first start, in percent. Later starts use the last value.
DEFAULT_OPACITY = 60

# Overlay choices, stored as the overlay menu's item data. They are strings
# because in PySide6 6.12 QComboBox.findData compares tuples by identity.
OVERLAY_NONE = "none"
OVERLAY_PREDICTED = "evidence"
OVERLAY_FEATURE_MAP = "feature map"
_EVIDENCE_PREFIX = "evidence:"


def evidence_overlay(label: str) -> str:
    """Name the overlay of the attribution map of one label."""
    return f"{_EVIDENCE_PREFIX}{label}"


class DetailView(QSplitter):
    """The selected photo and everything the model produced for it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._entry: PhotoEntry | None = None
        self._shown_detail: PhotoDetail | None = None
        self._selected_map: tuple[str, int] | None = None  # (block name, channel) of the clicked tile
        self._labels: list[str] = []
        self.feature_map_dialog: FeatureMapDialog | None = None

        self.addWidget(self._build_summary_panel())
        self.addWidget(self._build_maps_panel())
        self.setStretchFactor(0, 2)
        self.setStretchFactor(1, 3)
        # Starting widths in the same 2:3 ratio. Without them the splitter
        # starts from size hints and squeezes the feature maps.
        self.setSizes([400, 600])
        self.setChildrenCollapsible(False)
        self.set_model_outputs([], has_attribution=False)
        self.show_entry(None, None)

    def _build_summary_panel(self) -> QWidget:
        self.photo = ScaledImage()
        self.file_name = QLabel()
        self.file_name.setWordWrap(True)
        self.file_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label_text = QLabel()
        self.label_text.setFont(_scaled_font(self.font(), 2.4, bold=True))
        self.label_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.novelty_flag = QLabel()
        self.novelty_flag.setWordWrap(True)
        self.novelty_icon = QLabel()
        icon = self.style().standardIcon(NOVELTY_ICON)
        self.novelty_icon.setPixmap(icon.pixmap(20, 20))
        self.confidence_text = QLabel()
        self.confidence_text.setFont(_scaled_font(self.font(), 1.3, bold=False))
        self.novelty_text = QLabel()
        self.probability_bars = ProbabilityBars()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.overlay_box = QComboBox()
        self.overlay_box.setToolTip("Draw a heatmap over the photo")
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setValue(DEFAULT_OPACITY)
        self.opacity_slider.setToolTip("Opacity of the strongest overlay values")
        self.opacity_text = QLabel()
        self.opacity_text.setMinimumWidth(self.opacity_text.fontMetrics().horizontalAdvance("100%"))
        self.overlay_scale = ColorScale()
        self.overlay_hint = QLabel()
        self.overlay_hint.setWordWrap(True)
        self.overlay_box.currentIndexChanged.connect(self._update_overlay)
        self.opacity_slider.valueChanged.connect(self._on_opacity_changed)
        self._on_opacity_changed(self.opacity_slider.value())

        flag_row = QHBoxLayout()
        flag_row.addWidget(self.novelty_icon)
        flag_row.addWidget(self.novelty_flag, stretch=1)
        overlay_row = QHBoxLayout()
        overlay_row.addWidget(QLabel("Overlay:"))
        overlay_row.addWidget(self.overlay_box, stretch=1)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(QLabel("Opacity:"))
        opacity_row.addWidget(self.opacity_slider, stretch=1)
        opacity_row.addWidget(self.opacity_text)

        panel = QWidget()
        layout = QVBoxLayout(panel)
        # The result goes above the photo: the photo keeps its aspect ratio,
        # so the space it leaves free falls below it, not between it and the text.
        layout.addWidget(self.label_text)
        layout.addLayout(flag_row)
        layout.addWidget(self.confidence_text)
        layout.addWidget(self.novelty_text)
        layout.addWidget(self.probability_bars)
        layout.addWidget(self.message)
        layout.addSpacing(6)
        layout.addWidget(self.file_name)
        layout.addLayout(overlay_row)
        layout.addLayout(opacity_row)
        layout.addWidget(self.overlay_hint)
        # The scale goes above the photo, which is top-aligned and leaves
        # its spare height below, so the scale stays next to the heatmap.
        layout.addWidget(self.overlay_scale)
        layout.addWidget(self.photo, stretch=1)
        return panel

    def _build_maps_panel(self) -> QWidget:
        self.feature_maps = FeatureMapsView()
        self.feature_maps.tile_clicked.connect(self._on_tile_clicked)
        self.order_box = QComboBox()
        for order in TileOrder:
            self.order_box.addItem(order.value, order)
        self.order_box.setToolTip("Order of the tiles within each conv block")
        self.order_box.currentIndexChanged.connect(
            lambda index: self.feature_maps.set_order(self.order_box.itemData(index))
        )

        heading = QLabel("Feature maps")
        heading.setFont(_scaled_font(self.font(), 1.3, bold=True))
        header = QHBoxLayout()
        header.addWidget(heading)
        header.addStretch(1)
        header.addWidget(QLabel("Order:"))
        header.addWidget(self.order_box)
        hint = QLabel("Click a tile to enlarge it and to choose it for the overlay.")
        hint.setWordWrap(True)

        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.addLayout(header)
        layout.addWidget(hint)
        layout.addWidget(self.feature_maps, stretch=1)
        return panel

    # Model and photo

    def set_model_outputs(self, labels: list[str], has_attribution: bool) -> None:
        """Offer the overlays the model in use supports.

        Evidence overlays are offered only when the model has an attribution
        output. The current choice is kept when the new model offers it.
        """
        self._labels = list(labels)
        current = self.overlay_box.currentData()
        choices = [("No overlay", OVERLAY_NONE)]
        if has_attribution:
            choices.append(("Evidence for the predicted label", OVERLAY_PREDICTED))
            choices += [(f"Evidence for {label}", evidence_overlay(label)) for label in labels]
        choices.append(("Selected feature map", OVERLAY_FEATURE_MAP))

        self.overlay_box.blockSignals(True)
        self.overlay_box.clear()
        for text, data in choices:
            self.overlay_box.addItem(text, data)
        index = self.overlay_box.findData(current) if current is not None else -1
        self.overlay_box.setCurrentIndex(max(index, 0))
        self.overlay_box.blockSignals(False)
        self._update_overlay()

    def set_overlay(self, choice: str) -> bool:
        """Choose an overlay, such as `OVERLAY_FEATURE_MAP` or `evidence_overlay("dog")`.

        Returns:
            False when the model in use does not offer it.
        """
        index = self.overlay_box.findData(choice)
        if index < 0:
            return False
        self.overlay_box.setCurrentIndex(index)
        return True

    def show_entry(self, entry: PhotoEntry | None, detail: PhotoDetail | None) -> None:
        """Show a photo's state: waiting, failed, cancelled or classified.

        `detail` is the photo's rendered detail, or None while it is not in
        memory. The summary is then shown without photo and feature maps.
        """
        self._entry = entry
        if entry is None:
            self._show_text("", "No photo yet", EMPTY_HINT)
            return

        if entry.status is PhotoStatus.WAITING:
            self._show_text(entry.name, "Classifying…", "")
        elif entry.status is PhotoStatus.FAILED:
            self._show_text(entry.name, "Not classified", _sentence(entry.error or "unknown error"), is_error=True)
            self.feature_maps.show_message("No feature maps, because the file could not be classified.")
        elif entry.status is PhotoStatus.CANCELLED:
            self._show_text(
                entry.name, "Cancelled", "Classification was cancelled. Add the file again to classify it."
            )
        else:
            self._show_result(entry, detail)

    def _show_text(self, name: str, headline: str, message: str, is_error: bool = False) -> None:
        self._set_detail(None)
        self.file_name.setText(name)
        self.label_text.setText(headline)
        self._show_novelty(None)
        self.confidence_text.clear()
        self.confidence_text.hide()
        self.probability_bars.clear()
        self.probability_bars.hide()
        self._set_message(message, is_error)

    def _show_result(self, entry: PhotoEntry, detail: PhotoDetail | None) -> None:
        summary = entry.summary
        facts = entry.facts
        size = f"  ({facts.upright_size[0]}×{facts.upright_size[1]})" if facts is not None else ""
        self.file_name.setText(f"{entry.name}{size}")
        self.label_text.setText(summary.label)
        self._show_novelty(entry)
        self.confidence_text.setText(f"Confidence {summary.confidence:.1%}")
        self.confidence_text.show()
        self.probability_bars.set_probabilities(summary.probabilities)
        self.probability_bars.show()
        sentences = []
        if entry.true_label is not None:
            verdict = "correct" if entry.true_label == summary.label else "misclassified"
            sentences.append(f"True label: {entry.true_label} ({verdict}).")
        if facts is not None and facts.notes:
            sentences.append(f"Note: {'; '.join(facts.notes)}.")
        self._set_message(" ".join(sentences), is_error=False)

        if detail is not None:
            self._set_detail(detail)
        elif entry.detail_error:
            self._set_detail(None)
            self.feature_maps.show_message(f"Cannot show the photo and its feature maps: {entry.detail_error}")
        else:
            self._set_detail(None)
            self.feature_maps.show_message("Rendering the photo and its feature maps…")

    def _show_novelty(self, entry: PhotoEntry | None) -> None:
        flagged = entry is not None and is_novel(entry)
        self.novelty_icon.setVisible(flagged)
        self.novelty_flag.setVisible(flagged)
        novelty = entry.summary.novelty if entry is not None and entry.summary is not None else None
        threshold = entry.model.classifier.novelty_threshold if entry is not None and entry.model else None
        if flagged:
            explanation = novelty_explanation(novelty, threshold)
            self.novelty_flag.setText(NOVELTY_FLAG)
            self.novelty_flag.setToolTip(explanation)
            self.novelty_icon.setToolTip(explanation)
        if novelty is not None and threshold is not None and entry.status is PhotoStatus.DONE:
            self.novelty_text.setText(f"Novelty {novelty:.2f} (flagged above {threshold:.2f})")
            self.novelty_text.setToolTip(
                "Mahalanobis distance of the photo's conv-block statistics (each channel's mean and "
                "spread) from those of the training photos. Larger means less like anything the "
                "model was trained on."
            )
            self.novelty_text.show()
        else:
            self.novelty_text.hide()

    def _set_detail(self, detail: PhotoDetail | None) -> None:
        # Rebuilding the grids of the photo already shown would flicker and
        # lose the scroll position, so only a new detail replaces them.
        if detail is self._shown_detail and detail is not None:
            self._update_overlay()
            return
        self._shown_detail = detail
        if detail is None:
            self.photo.set_image(None)
            self.feature_maps.show_message("")
            self._update_overlay()
            return
        self.photo.set_image(detail.photo)
        self.feature_maps.set_feature_maps(detail.feature_maps)
        if self._selected_map is not None:
            self.feature_maps.set_selected(*self._selected_map)
        self._update_overlay()
        self._update_dialog()

    def _set_message(self, text: str, is_error: bool) -> None:
        self.message.setText(text)
        if is_error:
            self.message.setStyleSheet(f"color: {error_color(self.palette()).name()};")
        else:
            self.message.setStyleSheet("")

    # Feature-map tiles

    def selected_feature_map(self) -> tuple[str, int] | None:
        """Return (block name, channel) of the tile last clicked, or None."""
        return self._selected_map

    @Slot(object, int)
    def _on_tile_clicked(self, feature_map: FeatureMapTiles, channel: int) -> None:
        self._selected_map = (feature_map.name, channel)
        self.feature_maps.set_selected(feature_map.name, channel)
        if self.feature_map_dialog is None:
            self.feature_map_dialog = FeatureMapDialog(self)
        self.feature_map_dialog.show_channel(feature_map, channel)
        self._update_overlay()

    def _selected_tiles(self) -> tuple[FeatureMapTiles, int] | None:
        if self._selected_map is None or self._shown_detail is None:
            return None
        name, channel = self._selected_map
        for feature_map in self._shown_detail.feature_maps:
            if feature_map.name == name and channel < feature_map.channel_count:
                return feature_map, channel
        return None

    def _update_dialog(self) -> None:
        # An open dialog follows the photo on screen, showing the same channel.
        if self.feature_map_dialog is None or not self.feature_map_dialog.isVisible():
            return
        selected = self._selected_tiles()
        if selected is not None:
            self.feature_map_dialog.show_channel(*selected)

    # Overlay

    @Slot(int)
    def _on_opacity_changed(self, value: int) -> None:
        self.opacity_text.setText(f"{value}%")
        self._update_overlay()

    @Slot()
    def _update_overlay(self) -> None:
        """Draw the chosen overlay over the photo, with its colour scale, or explain why there is none."""
        choice = self.overlay_box.currentData() or OVERLAY_NONE
        opacity = self.opacity_slider.value() / 100
        overlay, scale, hint = None, None, ""
        detail = self._shown_detail
        summary = self._entry.summary if self._entry is not None and self._entry.status is PhotoStatus.DONE else None

        if choice == OVERLAY_NONE or detail is None or summary is None:
            pass
        elif choice == OVERLAY_PREDICTED or choice.startswith(_EVIDENCE_PREFIX):
            label = summary.label if choice == OVERLAY_PREDICTED else choice[len(_EVIDENCE_PREFIX):]
            if detail.attribution is None or label not in self._labels:
                hint = "This model has no attribution maps."
            else:
                values = detail.attribution[..., self._labels.index(label)]
                unit, peak = positive_evidence(values)
                overlay = heatmap_rgba(unit, opacity, INFERNO)
                scale = (INFERNO, "0", f"{peak:.3g}", f"Evidence for {label} (logit units)")
                if peak == 0:
                    hint = f"No region of this photo is evidence for {label}."
        else:
            selected = self._selected_tiles()
            if selected is None:
                hint = "Click a feature-map tile to choose the map to overlay."
            else:
                feature_map, channel = selected
                unit = feature_map.levels[channel].astype(np.float32) / 255
                overlay = heatmap_rgba(unit, opacity, VIRIDIS)
                low = feature_map.minimums[channel]
                high = feature_map.maximums[channel]
                scale = (VIRIDIS, f"{low:.3g}", f"{high:.3g}", f"{feature_map.name}, channel {channel}")

        self.photo.set_overlay(rgba_array_to_qimage(overlay) if overlay is not None else None)
        if scale is not None:
            self.overlay_scale.set_scale(*scale)
        self.overlay_scale.setVisible(scale is not None)
        self.overlay_hint.setText(hint)
        self.overlay_hint.setVisible(bool(hint))


def _sentence(reason: str) -> str:
    # Loader reasons are clauses such as "file is empty (0 bytes)".
    return reason[:1].upper() + reason[1:]


def _scaled_font(base: QFont, factor: float, bold: bool) -> QFont:
    font = QFont(base)
    font.setPointSizeF(base.pointSizeF() * factor)
    font.setBold(bold)
    return font
