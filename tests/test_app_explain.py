"""What the network saw: feature-map ordering, enlarged tiles, overlays, attribution and the novelty flag.

Attribution and novelty need a model with those outputs. When the model in
models/ lacks them, `add_explanation_outputs` adds stand-ins of the same
shape, so the widgets are tested either way against what `Classifier`
returns for that file.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import onnx  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QStyle  # noqa: E402
from test_app_support import (  # noqa: E402, F401 - fixtures are found by name
    add_explanation_outputs,
    cat_photo,
    classifier,
    dog_photo,
    drop_files,
    isolated_settings,
    open_window,
    set_novelty_threshold,
    wait_for_detail,
    wait_until_idle,
    window,
)

from desktop.core import model_format as fmt  # noqa: E402
from desktop.core.classifier import Classifier  # noqa: E402
from desktop.ui.detail_view import OVERLAY_FEATURE_MAP, OVERLAY_NONE, OVERLAY_PREDICTED, evidence_overlay  # noqa: E402
from desktop.ui.feature_maps import TileOrder  # noqa: E402
from desktop.ui.results_model import LABEL_COLUMN, NOVELTY_FLAG  # noqa: E402


@pytest.fixture
def explained_model(tmp_path, model_path, cat_photo, dog_photo):
    """A model with attribution and novelty outputs whose threshold flags exactly one of two photos.

    Returns:
        (model path, the flagged photo, the photo not flagged).
    """
    proto = onnx.load(str(model_path))
    add_explanation_outputs(proto)
    path = tmp_path / "explained.onnx"
    onnx.save(proto, str(path))

    scores = {photo: Classifier.load(path).classify_file(photo).novelty for photo in (cat_photo, dog_photo)}
    flagged, calm = sorted(scores, key=scores.get, reverse=True)
    assert scores[flagged] > scores[calm]
    set_novelty_threshold(proto, (scores[flagged] + scores[calm]) / 2)
    onnx.save(proto, str(path))
    return path, flagged, calm


@pytest.fixture
def plain_model(tmp_path, model_path):
    """The model without attribution and novelty outputs, whether or not models/ has them."""
    proto = onnx.load(str(model_path))
    kept = [output for output in proto.graph.output if output.name not in (fmt.ATTRIBUTION_OUTPUT, fmt.NOVELTY_OUTPUT)]
    del proto.graph.output[:]
    proto.graph.output.extend(kept)
    path = tmp_path / "plain.onnx"
    onnx.save(proto, str(path))
    return path


def show_photo(qtbot, window, photo) -> None:
    drop_files(window, [photo])
    wait_until_idle(qtbot, window)
    wait_for_detail(qtbot, window)


def test_tiles_sorted_by_mean_activation(qtbot, window, classifier, cat_photo):
    show_photo(qtbot, window, cat_photo)
    expected = classifier.classify_file(cat_photo, feature_maps=True)

    box = window.detail_view.order_box
    box.setCurrentIndex(box.findData(TileOrder.MEAN_ACTIVATION))
    for grid in window.detail_view.feature_maps.grids:
        means = expected.feature_maps[grid.feature_map.name].mean(axis=(0, 1))
        assert grid.order == list(np.argsort(-means, kind="stable"))
        shown_means = means[grid.order]
        assert np.all(np.diff(shown_means) <= 1e-6)

    box.setCurrentIndex(box.findData(TileOrder.CHANNEL))
    for grid in window.detail_view.feature_maps.grids:
        assert grid.order == list(range(grid.tile_count))


def test_tile_click_opens_enlarged_view(qtbot, window, classifier, cat_photo):
    show_photo(qtbot, window, cat_photo)
    expected = classifier.classify_file(cat_photo, feature_maps=True)
    detail = window.detail_view
    detail.order_box.setCurrentIndex(detail.order_box.findData(TileOrder.MEAN_ACTIVATION))
    grid = detail.feature_maps.grids[1]
    name = grid.feature_map.name
    # The first tile in mean order is the channel with the highest mean.
    channel = grid.order[0]
    assert grid.channel_at(grid.tile_rect(channel).center()) == channel

    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.tile_rect(channel).center())

    dialog = detail.feature_map_dialog
    assert dialog is not None
    assert dialog.isVisible()
    values = expected.feature_maps[name][..., channel]
    height, width, channels = expected.feature_maps[name].shape
    assert dialog.heading.text() == f"{name}, channel {channel} of {channels}  ({height}×{width})"
    assert f"Values {values.min():.4g} to {values.max():.4g}, mean {values.mean():.4g}" in dialog.range_text.text()
    assert dialog.scale.low_text == f"{values.min():.3g}"
    assert dialog.scale.high_text == f"{values.max():.3g}"
    assert (dialog.image.image_size().width(), dialog.image.image_size().height()) == (width, height)
    assert grid.selected_channel == channel
    assert detail.selected_feature_map() == (name, channel)
    dialog.close()


def test_feature_map_overlay_on_photo(qtbot, window, classifier, cat_photo, dog_photo):
    show_photo(qtbot, window, cat_photo)
    detail = window.detail_view

    assert detail.set_overlay(OVERLAY_FEATURE_MAP)
    assert detail.photo.overlay_image() is None
    assert detail.overlay_hint.text() == "Click a feature-map tile to choose the map to overlay."

    grid = detail.feature_maps.grids[0]
    channel = int(np.argmax(grid.feature_map.maximums))
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.tile_rect(channel).center())
    detail.feature_map_dialog.close()

    overlay = detail.photo.overlay_image()
    height, width, _ = grid.feature_map.shape
    assert (overlay.width(), overlay.height()) == (width, height)
    alphas = [overlay.pixelColor(x, y).alpha() for y in range(height) for x in range(width)]
    assert max(alphas) == np.rint(255 * 0.6)
    assert min(alphas) == 0
    assert detail.overlay_scale.isVisible()
    assert detail.overlay_scale.caption == f"{grid.feature_map.name}, channel {channel}"

    detail.opacity_slider.setValue(30)
    overlay = detail.photo.overlay_image()
    assert max(overlay.pixelColor(x, y).alpha() for y in range(height) for x in range(width)) == np.rint(255 * 0.3)

    # The same channel of the next photo is overlaid when it is shown.
    drop_files(window, [dog_photo])
    wait_until_idle(qtbot, window)
    qtbot.waitUntil(lambda: detail.photo.overlay_image() is not None, timeout=30_000)
    expected = classifier.classify_file(dog_photo, feature_maps=True)
    assert detail.overlay_scale.high_text == f"{expected.feature_maps[grid.feature_map.name][..., channel].max():.3g}"


def test_missing_outputs_hide_widgets(qtbot, plain_model, cat_photo):
    classifier = Classifier.load(plain_model)
    assert not classifier.has_attribution
    assert not classifier.has_novelty
    window = open_window(qtbot, classifier)
    show_photo(qtbot, window, cat_photo)
    detail = window.detail_view

    box = detail.overlay_box
    assert [box.itemText(index) for index in range(box.count())] == ["No overlay", "Selected feature map"]
    assert not detail.set_overlay(OVERLAY_PREDICTED)
    assert not detail.novelty_flag.isVisible()
    assert not detail.novelty_icon.isVisible()
    assert not detail.novelty_text.isVisible()
    assert detail.label_text.text() == classifier.classify_file(cat_photo).label
    assert window.model_panel.text("Attribution maps") == "no (the model has no attribution output)"
    assert window.model_panel.text("Novelty check") == "no (the model has no novelty output)"


def test_attribution_overlay(qtbot, explained_model, cat_photo):
    path, _, _ = explained_model
    classifier = Classifier.load(path)
    window = open_window(qtbot, classifier)
    show_photo(qtbot, window, cat_photo)
    detail = window.detail_view
    expected = classifier.classify_file(cat_photo, attribution=True)
    assert expected.attribution is not None

    box = detail.overlay_box
    options = [box.itemText(index) for index in range(box.count())]
    assert options == [
        "No overlay",
        "Evidence for the predicted label",
        *(f"Evidence for {label}" for label in classifier.labels),
        "Selected feature map",
    ]
    for label in classifier.labels:
        assert detail.set_overlay(evidence_overlay(label))
        values = expected.attribution[..., classifier.labels.index(label)]
        peak = float(np.clip(values, 0, None).max())
        overlay = detail.photo.overlay_image()
        height, width = values.shape
        assert (overlay.width(), overlay.height()) == (width, height)
        assert detail.overlay_scale.caption == f"Evidence for {label} (logit units)"
        assert detail.overlay_scale.high_text == f"{peak:.3g}"
        if peak > 0:
            row, column = np.unravel_index(np.argmax(values), values.shape)
            assert overlay.pixelColor(int(column), int(row)).alpha() == np.rint(255 * 0.6)
        negative = np.argwhere(values <= 0)
        if len(negative):
            row, column = negative[0]
            assert overlay.pixelColor(int(column), int(row)).alpha() == 0

    assert detail.set_overlay(OVERLAY_PREDICTED)
    assert detail.overlay_scale.caption == f"Evidence for {expected.label} (logit units)"
    detail.set_overlay(OVERLAY_NONE)
    assert detail.photo.overlay_image() is None
    assert not detail.overlay_scale.isVisible()


def test_novelty_flag_beside_label(qtbot, explained_model):
    path, flagged, calm = explained_model
    classifier = Classifier.load(path)
    threshold = classifier.novelty_threshold
    window = open_window(qtbot, classifier)
    drop_files(window, [flagged, calm])
    wait_until_idle(qtbot, window)
    detail = window.detail_view

    window.results_table.select_row(0)
    expected = classifier.classify_file(flagged)
    assert expected.novelty > threshold
    assert detail.label_text.text() == expected.label
    assert detail.novelty_flag.isVisible()
    assert detail.novelty_flag.text() == NOVELTY_FLAG
    assert f"Novelty {expected.novelty:.2f} is above the model's threshold of {threshold:.2f}" in detail.novelty_flag.toolTip()
    assert "Mahalanobis distance" in detail.novelty_flag.toolTip()
    assert detail.novelty_text.text() == f"Novelty {expected.novelty:.2f} (flagged above {threshold:.2f})"
    flagged_index = window.results_table.proxy.index(0, LABEL_COLUMN)
    # The flag's icon is not the warning sign of photos that could not be read.
    flag_icon = flagged_index.data(Qt.ItemDataRole.DecorationRole).pixmap(16, 16).toImage()
    style = QApplication.style()
    assert flag_icon == style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion).pixmap(16, 16).toImage()
    assert flag_icon != style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(16, 16).toImage()
    assert NOVELTY_FLAG in flagged_index.data(Qt.ItemDataRole.ToolTipRole)
    assert flagged_index.data(Qt.ItemDataRole.DisplayRole) == expected.label

    window.results_table.select_row(1)
    calm_expected = classifier.classify_file(calm)
    assert calm_expected.novelty <= threshold
    assert detail.label_text.text() == calm_expected.label
    assert not detail.novelty_flag.isVisible()
    assert detail.novelty_text.text() == f"Novelty {calm_expected.novelty:.2f} (flagged above {threshold:.2f})"
    assert window.results_table.proxy.index(1, LABEL_COLUMN).data(Qt.ItemDataRole.DecorationRole) is None
