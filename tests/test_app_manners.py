"""Palettes, high-DPI thumbnails, the icon and desktop entry, and screenshots of folders."""

from __future__ import annotations

import configparser
import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QRect, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter, QPalette  # noqa: E402
from PySide6.QtWidgets import QStyleOptionViewItem  # noqa: E402
from test_app_support import (  # noqa: E402, F401 - fixtures are found by name
    cat_photo,
    classifier,
    copy_photo_set,
    drop_files,
    image_array,
    isolated_settings,
    wait_until_idle,
    window,
)

from desktop.__main__ import WINDOW_SIZE, main  # noqa: E402
from desktop.ui.app_icon import RESOURCES_DIR, application_icon  # noqa: E402
from desktop.ui.results_model import LABEL_COLUMN, THUMBNAIL_COLUMN  # noqa: E402
from desktop.ui.results_table import THUMBNAIL_CELL, ThumbnailDelegate  # noqa: E402
from desktop.ui.theme import error_color, is_dark  # noqa: E402


@pytest.fixture
def dark_palette(qapp):
    original = qapp.palette()
    palette = QPalette(original)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Window, QColor("#202124"))
        palette.setColor(group, QPalette.ColorRole.Base, QColor("#17181a"))
        palette.setColor(group, QPalette.ColorRole.WindowText, QColor("#e8eaed"))
        palette.setColor(group, QPalette.ColorRole.Text, QColor("#e8eaed"))
    qapp.setPalette(palette)
    yield palette
    qapp.setPalette(original)


def contrast_ratio(first: QColor, second: QColor) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21."""

    def luminance(color: QColor) -> float:
        channels = []
        for value in (color.redF(), color.greenF(), color.blueF()):
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_error_text_readable_on_dark_palette(qtbot, dark_palette, window, tmp_path):
    assert is_dark(dark_palette)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"")
    drop_files(window, [broken])
    wait_until_idle(qtbot, window)

    brush = window.results_table.proxy.index(0, LABEL_COLUMN).data(Qt.ItemDataRole.ForegroundRole)
    background = dark_palette.color(QPalette.ColorRole.Base)
    assert contrast_ratio(brush.color(), background) >= 4.5
    assert error_color(dark_palette).name() in window.detail_view.message.styleSheet()


def test_error_text_readable_on_light_palette(qapp):
    palette = QPalette(QColor("#efefef"))
    assert not is_dark(palette)
    assert contrast_ratio(error_color(palette), QColor("#ffffff")) >= 4.5


def test_thumbnail_sharp_at_pixel_ratio_two(qapp, window, cat_photo, qtbot):
    drop_files(window, [cat_photo])
    wait_until_idle(qtbot, window)
    thumbnail = window.queue.thumbnails.cached(window.queue.entries()[0].job_id)
    assert thumbnail.width() == 2 * THUMBNAIL_CELL

    # A 56-pixel cell on a device pixel ratio 2 canvas is 112 device pixels.
    canvas = QImage(112, 112, QImage.Format.Format_RGB888)
    canvas.setDevicePixelRatio(2)
    canvas.fill(Qt.GlobalColor.white)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 56, 56)
    index = window.results_table.proxy.index(0, THUMBNAIL_COLUMN)
    painter = QPainter(canvas)
    ThumbnailDelegate().paint(painter, option, index)
    painter.end()

    # The thumbnail lands on the canvas pixel for pixel, not upscaled from 48 pixels.
    left = (112 - thumbnail.width()) // 2
    top = (112 - thumbnail.height()) // 2
    painted = canvas.copy(left, top, thumbnail.width(), thumbnail.height()).convertToFormat(QImage.Format.Format_RGB888)
    expected = thumbnail.convertToFormat(QImage.Format.Format_RGB888)
    difference = np.abs(image_array(painted).astype(int) - image_array(expected).astype(int))
    assert difference.mean() < 2


def test_window_icon_from_resources(window):
    assert (RESOURCES_DIR / "cnn-lens.svg").is_file()
    assert (RESOURCES_DIR / "cnn-lens.png").is_file()
    icon = application_icon()
    assert not icon.isNull()
    assert not window.windowIcon().isNull()
    rendered = icon.pixmap(64, 64).toImage()
    assert rendered.width() == 64
    with Image.open(RESOURCES_DIR / "cnn-lens.png") as png:
        assert png.size == (256, 256)


def test_desktop_entry_fields():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(RESOURCES_DIR / "cnn-lens.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Name"] == "cnn-lens"
    assert section["Exec"] == "cnn-lens %F"
    assert section["Icon"] == "cnn-lens"
    assert "image/jpeg" in section["MimeType"].split(";")


def test_screenshot_of_labelled_folder(qapp, capsys, tmp_path, data_dir, model_path):
    folder = copy_photo_set(data_dir, tmp_path / "validation", per_class=4)
    shot = tmp_path / "labelled.png"

    status = main([str(folder), "--model", str(model_path), "--screenshot", str(shot)])

    assert status == 0
    assert capsys.readouterr().out.strip() == str(shot)
    with Image.open(shot) as image:
        assert image.size == WINDOW_SIZE
        pixels = np.asarray(image.convert("RGB"))
    assert np.unique(pixels.reshape(-1, 3), axis=0).shape[0] > 2000
