"""The detail view of the selected photo: photo, label, confidence, class bars and feature maps."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from desktop.ui.feature_maps import FeatureMapsView
from desktop.ui.photo_queue import PhotoEntry, PhotoStatus
from desktop.ui.probability_bars import ProbabilityBars
from desktop.ui.scaled_image import ScaledImage
from desktop.ui.theme import ERROR_COLOR
from desktop.ui.worker import PhotoDetail

EMPTY_HINT = "Drop photos or folders here, or open them with File > Open (Ctrl+O)."


class DetailView(QSplitter):
    """The selected photo and everything the model produced for it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._shown_detail: PhotoDetail | None = None

        self.photo = ScaledImage()
        self.file_name = QLabel()
        self.file_name.setWordWrap(True)
        self.file_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label_text = QLabel()
        self.label_text.setFont(_scaled_font(self.font(), 2.4, bold=True))
        self.confidence_text = QLabel()
        self.confidence_text.setFont(_scaled_font(self.font(), 1.3, bold=False))
        self.probability_bars = ProbabilityBars()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        summary_panel = QWidget()
        summary_layout = QVBoxLayout(summary_panel)
        # The result goes above the photo: the photo keeps its aspect ratio,
        # so the space it leaves free falls below it, not between it and the text.
        summary_layout.addWidget(self.label_text)
        summary_layout.addWidget(self.confidence_text)
        summary_layout.addWidget(self.probability_bars)
        summary_layout.addWidget(self.message)
        summary_layout.addSpacing(6)
        summary_layout.addWidget(self.file_name)
        summary_layout.addWidget(self.photo, stretch=1)

        self.feature_maps = FeatureMapsView()
        maps_panel = QWidget()
        maps_layout = QVBoxLayout(maps_panel)
        maps_heading = QLabel("Feature maps")
        maps_heading.setFont(_scaled_font(self.font(), 1.3, bold=True))
        maps_layout.addWidget(maps_heading)
        maps_layout.addWidget(self.feature_maps, stretch=1)

        self.addWidget(summary_panel)
        self.addWidget(maps_panel)
        self.setStretchFactor(0, 2)
        self.setStretchFactor(1, 3)
        # Starting widths in the same 2:3 ratio. Without them the splitter
        # starts from size hints and squeezes the feature maps.
        self.setSizes([400, 600])
        self.setChildrenCollapsible(False)
        self.show_entry(None, None)

    def show_entry(self, entry: PhotoEntry | None, detail: PhotoDetail | None) -> None:
        """Show a photo's state: waiting, failed, cancelled or classified.

        `detail` is the photo's rendered detail, or None while it is not in
        memory. The summary is then shown without photo and feature maps.
        """
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
        self.confidence_text.clear()
        self.confidence_text.hide()
        self.probability_bars.clear()
        self.probability_bars.hide()
        self._set_message(message, is_error)

    def _show_result(self, entry: PhotoEntry, detail: PhotoDetail | None) -> None:
        summary = entry.summary
        width, height = summary.upright_size
        self.file_name.setText(f"{entry.name}  ({width}×{height})")
        self.label_text.setText(summary.label)
        self.confidence_text.setText(f"Confidence {summary.confidence:.1%}")
        self.confidence_text.show()
        self.probability_bars.set_probabilities(summary.probabilities)
        self.probability_bars.show()
        notes = f"Note: {'; '.join(summary.notes)}." if summary.notes else ""
        self._set_message(notes, is_error=False)

        if detail is not None:
            self._set_detail(detail)
        elif entry.detail_error:
            self._set_detail(None)
            self.feature_maps.show_message(f"Cannot show the photo and its feature maps: {entry.detail_error}")
        else:
            self._set_detail(None)
            self.feature_maps.show_message("Rendering the photo and its feature maps…")

    def _set_detail(self, detail: PhotoDetail | None) -> None:
        # Rebuilding the grids of the photo already shown would flicker and
        # lose the scroll position, so only a new detail replaces them.
        if detail is self._shown_detail and detail is not None:
            return
        self._shown_detail = detail
        if detail is None:
            self.photo.set_image(None)
            self.feature_maps.show_message("")
            return
        self.photo.set_image(detail.photo)
        self.feature_maps.set_feature_maps(detail.feature_maps)

    def _set_message(self, text: str, is_error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {ERROR_COLOR};" if is_error else "")


def _sentence(reason: str) -> str:
    # Loader reasons are clauses such as "file is empty (0 bytes)".
    return reason[:1].upper() + reason[1:]


def _scaled_font(base: QFont, factor: float, bold: bool) -> QFont:
    font = QFont(base)
    font.setPointSizeF(base.pointSizeF() * factor)
    font.setBold(bold)
    return font
