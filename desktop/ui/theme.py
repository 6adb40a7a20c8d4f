"""Colours shared by the widgets, chosen from the palette so they read on light and dark themes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

# Error red for light backgrounds (dark enough on white and the grey of the
# default Qt styles) and for dark backgrounds (light enough on near-black).
_ERROR_ON_LIGHT = QColor("#b3261e")
_ERROR_ON_DARK = QColor("#f2b8b5")


def is_dark(palette: QPalette) -> bool:
    """Tell whether the palette's window background is darker than its text."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return window.lightnessF() < text.lightnessF()


def error_color(palette: QPalette) -> QColor:
    """Return the colour for error text on the palette's window and base backgrounds."""
    return QColor(_ERROR_ON_DARK if is_dark(palette) else _ERROR_ON_LIGHT)
