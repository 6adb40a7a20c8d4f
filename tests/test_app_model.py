"""The model panel, File > Open Model, live reload of a replaced model file, and remembered settings."""

from __future__ import annotations

import json
import os
import shutil

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import onnx  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox  # noqa: E402
from test_app_support import (  # noqa: E402, F401 - fixtures are found by name
    RESULT_TIMEOUT_MS,
    cat_photo,
    classifier,
    dog_photo,
    drop_files,
    isolated_settings,
    metadata_value,
    open_window,
    replace_atomically,
    save_model_atomically,
    set_metadata,
    wait_until_idle,
    window,
)

from desktop import DEFAULT_MODEL_PATH  # noqa: E402
from desktop.__main__ import main  # noqa: E402
from desktop.core import model_format as fmt  # noqa: E402
from desktop.core.classifier import Classifier  # noqa: E402
from desktop.ui.main_window import MainWindow  # noqa: E402
from desktop.ui.photo_queue import PhotoStatus  # noqa: E402


@pytest.fixture
def model_copy(tmp_path, model_path):
    """The shipped model, copied into its own folder so tests may replace it."""
    folder = tmp_path / "models"
    folder.mkdir()
    target = folder / "classifier.onnx"
    shutil.copy(model_path, target)
    return target


def retrained_proto(source, accuracy: float, date: str, swap_labels: bool = False):
    """Load a model and change its training facts (and optionally the order of its labels)."""
    proto = onnx.load(str(source))
    training = json.loads(metadata_value(proto, fmt.META_TRAINING))
    training["validation_accuracy"] = accuracy
    training["date"] = date
    set_metadata(proto, fmt.META_TRAINING, json.dumps(training))
    if swap_labels:
        labels = json.loads(metadata_value(proto, fmt.META_LABELS))
        set_metadata(proto, fmt.META_LABELS, json.dumps(labels[::-1]))
    return proto


def test_model_panel_shows_facts(window, classifier):
    window.model_panel_action.trigger()
    assert window.model_dock.isVisible()

    panel = window.model_panel
    height, width = classifier.input_size
    training = classifier.training_info
    assert panel.text("File") == str(classifier.path)
    assert panel.text("Labels") == ", ".join(classifier.labels)
    assert panel.text("Input size") == f"{width}×{height} pixels"
    assert panel.text("Parameters") == f"{int(classifier.metadata[fmt.META_PARAMETERS]):,}"
    assert panel.text("Validation accuracy") == f"{training['validation_accuracy']:.1%}"
    assert panel.text("Trained") == training["date"]
    assert panel.text("Epochs") == str(training["epochs"])
    assert panel.text("Architecture") == training["architecture"]
    assert panel.text("Loaded") == "load 1 of this session"
    expected_attribution = "yes" if classifier.has_attribution else "no (the model has no attribution output)"
    assert panel.text("Attribution maps") == expected_attribution


def test_open_model_dialog_loads_other_model(qtbot, window, monkeypatch, model_copy, cat_photo):
    other = model_copy.with_name("other.onnx")
    onnx.save(retrained_proto(model_copy, 0.5, "2030-01-02T00:00:00+00:00"), str(other))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args: (str(other), "ONNX models (*.onnx)")))
    drop_files(window, [cat_photo])
    wait_until_idle(qtbot, window)

    window.open_model_action.trigger()

    qtbot.waitUntil(lambda: window.models.current.generation == 2, timeout=RESULT_TIMEOUT_MS)
    assert window.classifier.path == other.resolve()
    assert window.model_panel.text("Validation accuracy") == "50.0%"
    assert window.model_panel.text("Trained") == "2030-01-02T00:00:00+00:00"
    assert window.windowTitle() == "cnn-lens — other.onnx"
    assert window.statusBar().currentMessage().startswith(f"Opened the model {other.resolve()}")
    wait_until_idle(qtbot, window)
    assert window.queue.entries()[0].model.generation == 2


def test_open_invalid_model_keeps_current(qtbot, window, tmp_path, classifier):
    not_a_model = tmp_path / "notes.onnx"
    not_a_model.write_text("these are notes, not a model\n")

    window.open_model(not_a_model)

    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is not None, timeout=RESULT_TIMEOUT_MS)
    box = window.findChild(QMessageBox)
    assert "Cannot load the model" in box.text()
    assert "not a valid ONNX model" in box.text()
    assert f"Still using {classifier.path}" in box.text()
    box.close()
    assert window.classifier is classifier
    assert window.models.current.generation == 1
    assert window.model_panel.text("File") == str(classifier.path)


def test_open_foreign_onnx_keeps_current(qtbot, window, tmp_path, model_copy, classifier):
    foreign = tmp_path / "foreign.onnx"
    proto = onnx.load(str(model_copy))
    del proto.metadata_props[:]
    onnx.save(proto, str(foreign))

    window.open_model(foreign)

    qtbot.waitUntil(lambda: "Cannot load the model" in window.statusBar().currentMessage(), timeout=RESULT_TIMEOUT_MS)
    assert "not a cnn-lens classifier" in window.statusBar().currentMessage()
    assert window.classifier is classifier
    box = window.findChild(QMessageBox)
    assert box is not None
    box.close()


def test_live_reload_after_export_rename(qtbot, model_copy, cat_photo, dog_photo):
    window = open_window(qtbot, Classifier.load(model_copy))
    window.model_panel_action.trigger()
    drop_files(window, [cat_photo, dog_photo])
    wait_until_idle(qtbot, window)

    save_model_atomically(retrained_proto(model_copy, 0.912, "2031-05-06T07:08:09+00:00"), model_copy)

    qtbot.waitUntil(lambda: "Reloaded the changed model file" in window.statusBar().currentMessage(), timeout=RESULT_TIMEOUT_MS)
    assert window.models.current.generation == 2
    assert window.model_panel.text("Validation accuracy") == "91.2%"
    assert window.model_panel.text("Trained") == "2031-05-06T07:08:09+00:00"
    assert window.model_panel.text("Loaded") == "load 2 of this session"
    assert "Classifying 2 photos again." in window.statusBar().currentMessage()

    wait_until_idle(qtbot, window)
    reloaded = Classifier.load(model_copy)
    for entry in window.queue.entries():
        assert entry.model.generation == 2
        assert entry.summary.label == reloaded.classify_file(entry.path).label

    # The watch survives the rename: a second export is noticed too.
    save_model_atomically(retrained_proto(model_copy, 0.95, "2032-01-01T00:00:00+00:00"), model_copy)
    qtbot.waitUntil(lambda: window.models.current.generation == 3, timeout=RESULT_TIMEOUT_MS)
    assert window.model_panel.text("Validation accuracy") == "95.0%"


def test_garbage_model_swap_keeps_previous(qtbot, model_copy, cat_photo, dog_photo):
    original = Classifier.load(model_copy)
    window = open_window(qtbot, original)
    original_accuracy = window.model_panel.text("Validation accuracy")
    good_bytes = model_copy.read_bytes()

    replace_atomically(model_copy, b"\x00garbage, not a protobuf\x00" * 100)

    qtbot.waitUntil(lambda: "Cannot load the model" in window.statusBar().currentMessage(), timeout=RESULT_TIMEOUT_MS)
    message = window.statusBar().currentMessage()
    assert str(model_copy) in message
    assert f"Still using {original.path}" in message
    assert window.classifier is original
    assert window.models.current.generation == 1
    assert window.model_panel.text("Validation accuracy") == original_accuracy
    # No dialog interrupts the user for a change they did not ask for.
    assert window.findChild(QMessageBox) is None

    # The previous model keeps classifying.
    drop_files(window, [cat_photo])
    wait_until_idle(qtbot, window)
    entry = window.queue.entries()[0]
    assert entry.status is PhotoStatus.DONE
    assert entry.model.generation == 1
    assert entry.summary.label == original.classify_file(cat_photo).label

    # A good file written afterwards is loaded.
    proto = onnx.load_from_string(good_bytes)
    save_model_atomically(retrained_proto_from(proto, 0.7), model_copy)
    qtbot.waitUntil(lambda: window.models.current.generation == 2, timeout=RESULT_TIMEOUT_MS)
    assert window.model_panel.text("Validation accuracy") == "70.0%"


def retrained_proto_from(proto, accuracy: float):
    training = json.loads(metadata_value(proto, fmt.META_TRAINING))
    training["validation_accuracy"] = accuracy
    set_metadata(proto, fmt.META_TRAINING, json.dumps(training))
    return proto


def test_swap_during_batch_never_mixes_models(qtbot, model_copy, data_dir):
    window = open_window(qtbot, Classifier.load(model_copy))
    window.queue.batch_size = 4
    photos = sorted((data_dir / "train" / "cat").glob("*.jpg"))[:12] + sorted(
        (data_dir / "train" / "dog").glob("*.jpg")
    )[:12]
    drop_files(window, photos)
    qtbot.waitUntil(
        lambda: any(entry.status is PhotoStatus.DONE for entry in window.queue.entries()),
        timeout=RESULT_TIMEOUT_MS,
    )

    # Reversing the labels makes every probability of the new model differ
    # from the old one's, so a result mixing the two would show.
    save_model_atomically(retrained_proto(model_copy, 0.6, "2033-01-01T00:00:00+00:00", swap_labels=True), model_copy)
    qtbot.waitUntil(lambda: window.models.current.generation == 2, timeout=RESULT_TIMEOUT_MS)
    wait_until_idle(qtbot, window)

    swapped = Classifier.load(model_copy)
    assert swapped.labels == ["dog", "cat"]
    for entry in window.queue.entries():
        assert entry.status is PhotoStatus.DONE
        assert entry.model.generation == 2
        expected = swapped.classify_file(entry.path)
        assert list(entry.summary.probabilities) == ["dog", "cat"]
        for label, probability in zip(expected.labels, expected.probabilities):
            assert entry.summary.probabilities[label] == pytest.approx(float(probability), abs=1e-5)
    box = window.results_table.filter_box
    assert [box.itemText(index) for index in range(1, 3)] == ["Predicted dog", "Predicted cat"]


def test_settings_remembered(qtbot, tmp_path, classifier):
    settings_file = str(tmp_path / "cnn-lens.ini")
    first = open_window(qtbot, classifier, QSettings(settings_file, QSettings.Format.IniFormat))
    first.resize(900, 640)
    first.detail_view.opacity_slider.setValue(35)
    first.model_panel_action.trigger()
    # Showing the dock may widen the window to fit its minimum size.
    size = (first.width(), first.height())
    assert size[1] == 640
    first.close()

    stored = QSettings(settings_file, QSettings.Format.IniFormat)
    assert int(stored.value("overlay/opacity")) == 35
    assert stored.value("model/last_path") == str(classifier.path.resolve())

    second = MainWindow(classifier, QSettings(settings_file, QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == size
    assert second.detail_view.opacity_slider.value() == 35
    assert second.model_dock.isVisible()


def test_launch_uses_last_model(qtbot, qapp, model_copy, isolated_settings):
    QSettings("cnn-lens", "cnn-lens").setValue("model/last_path", str(model_copy))
    seen = {}

    def inspect_and_close():
        windows = [widget for widget in QApplication.topLevelWidgets() if isinstance(widget, MainWindow)]
        seen["paths"] = [str(widget.classifier.path) for widget in windows if widget.isVisible()]
        for widget in windows:
            widget.close()

    QTimer.singleShot(0, inspect_and_close)
    status = main([])

    assert status == 0
    assert seen["paths"] == [str(model_copy)]


def test_launch_without_last_model_file(qtbot, qapp, tmp_path, capsys, isolated_settings):
    missing = tmp_path / "deleted.onnx"
    QSettings("cnn-lens", "cnn-lens").setValue("model/last_path", str(missing))
    seen = {}

    def inspect_and_close():
        windows = [widget for widget in QApplication.topLevelWidgets() if isinstance(widget, MainWindow)]
        seen["paths"] = [str(widget.classifier.path) for widget in windows if widget.isVisible()]
        for widget in windows:
            widget.close()

    QTimer.singleShot(0, inspect_and_close)
    assert main([]) == 0
    assert seen["paths"] == [str(DEFAULT_MODEL_PATH)]
    error = capsys.readouterr().err
    assert f"cannot load the last model {missing}" in error
    assert f"using {DEFAULT_MODEL_PATH}" in error
