"""Fixtures and helpers shared by the app's Qt tests (this module has no tests of its own).

Test modules import what they use from here. Drops are synthesized
QDropEvents sent to the window, so they take the same path as a drag from a
file manager. Classification runs on the window's worker threads, and tests
wait for its results with `qtbot.waitUntil`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.__main__ import WINDOW_SIZE  # noqa: E402
from desktop.core import model_format as fmt  # noqa: E402
from desktop.core.classifier import Classifier  # noqa: E402
from desktop.ui.main_window import MainWindow  # noqa: E402
from desktop.ui.photo_queue import PhotoStatus  # noqa: E402
from desktop.ui.results_model import NAME_COLUMN  # noqa: E402

# Generous, because the CPU may be shared with other work. A passing run
# waits well under a second per photo.
RESULT_TIMEOUT_MS = 30_000


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Point QSettings, in this process and in child processes, at a temporary folder."""
    folder = tmp_path / "settings"
    folder.mkdir()
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(folder))
        QSettings.setPath(settings_format, QSettings.Scope.SystemScope, str(folder / "system"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder


@pytest.fixture
def classifier(model_path) -> Classifier:
    return Classifier.load(model_path)


@pytest.fixture
def window(qtbot, classifier) -> MainWindow:
    return open_window(qtbot, classifier)


def open_window(qtbot, classifier: Classifier, settings: QSettings | None = None) -> MainWindow:
    window = MainWindow(classifier, settings)
    qtbot.addWidget(window)
    window.resize(*WINDOW_SIZE)
    window.show()
    return window


@pytest.fixture
def cat_photo(photo_paths) -> Path:
    return photo_paths["cat"][0]


@pytest.fixture
def dog_photo(photo_paths) -> Path:
    return photo_paths["dog"][0]


def file_urls(paths) -> list[QUrl]:
    return [QUrl.fromLocalFile(str(path)) for path in paths]


def drop(window: MainWindow, mime: QMimeData) -> QDropEvent:
    """Send a drag-enter and a drop carrying `mime` to the window, as a file manager would."""
    position = QPointF(window.width() / 2, window.height() / 2)
    # PySide6 6.10 takes only a QPoint here; later versions also take a QPointF.
    enter = QDragEnterEvent(
        position.toPoint(), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted(), "the window rejected the drag"

    event = QDropEvent(
        position, Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, event)
    return event


def drop_files(window: MainWindow, paths) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls(file_urls(paths))
    return drop(window, mime)


def wait_until_idle(qtbot, window: MainWindow, timeout: int = RESULT_TIMEOUT_MS) -> None:
    def all_finished():
        statuses = [entry.status for entry in window.queue.entries()]
        assert PhotoStatus.WAITING not in statuses
        assert window.queue.pending_count() == 0

    qtbot.waitUntil(all_finished, timeout=timeout)


def wait_for_detail(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: len(window.detail_view.feature_maps.grids) > 0, timeout=RESULT_TIMEOUT_MS)


def image_array(image: QImage) -> np.ndarray:
    """The pixels of an RGB888 QImage as a (height, width, 3) array, without row padding."""
    width, height = image.width(), image.height()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return buffer.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3)


def row_count(window: MainWindow) -> int:
    return window.results_table.proxy.rowCount()


def column_texts(window: MainWindow, column: int) -> list[str]:
    """Return one column's texts, in the table's current order and filter."""
    return [window.results_table.cell_text(row, column) for row in range(row_count(window))]


def row_names(window: MainWindow) -> list[str]:
    return column_texts(window, NAME_COLUMN)


def entry_named(window: MainWindow, name: str):
    matches = [entry for entry in window.queue.entries() if entry.name == name]
    assert len(matches) == 1, f"expected one row named {name}, got {len(matches)}"
    return matches[0]


def copy_photo_set(data_dir: Path, target: Path, per_class: int, split: str = "validation") -> Path:
    """Copy `per_class` real photos of each class into `target/<label>/` and return `target`."""
    for label in ("cat", "dog"):
        folder = target / label
        folder.mkdir(parents=True, exist_ok=True)
        for path in sorted((data_dir / split / label).glob("*.jpg"))[:per_class]:
            shutil.copy(path, folder / path.name)
    return target


def save_model_atomically(proto, target: Path) -> None:
    """Write an ONNX model next to `target` and rename it over `target`, as `training.export` does."""
    import onnx

    temporary = target.with_name(f".{target.name}.writing")
    onnx.save(proto, str(temporary))
    os.replace(temporary, target)


def replace_atomically(target: Path, content: bytes) -> None:
    temporary = target.with_name(f".{target.name}.writing")
    temporary.write_bytes(content)
    os.replace(temporary, target)


def set_metadata(proto, key: str, value: str) -> None:
    for entry in proto.metadata_props:
        if entry.key == key:
            entry.value = value
            return
    proto.metadata_props.add(key=key, value=value)


def metadata_value(proto, key: str) -> str:
    return next(entry.value for entry in proto.metadata_props if entry.key == key)


def add_explanation_outputs(proto) -> None:
    """Give a model without them an `attribution` and a `novelty` output, computed from its last conv block.

    The outputs follow the model-format contract in shape and type but are
    stand-ins, not trained explanations: attribution is the last block's
    activations times a fixed random (channels, classes) matrix, and novelty
    is the block's mean activation. Models that already have the outputs are
    left as they are.
    """
    from onnx import TensorProto, helper, numpy_helper

    outputs = [output.name for output in proto.graph.output]
    last_block = json.loads(metadata_value(proto, fmt.META_FEATURE_MAPS))[-1]
    labels = json.loads(metadata_value(proto, fmt.META_LABELS))
    block_output = next(output for output in proto.graph.output if output.name == last_block)
    channels = block_output.type.tensor_type.shape.dim[3].dim_value

    if fmt.ATTRIBUTION_OUTPUT not in outputs:
        weights = np.random.default_rng(5).normal(size=(channels, len(labels))).astype(np.float32)
        proto.graph.initializer.append(numpy_helper.from_array(weights, "test_attribution_weights"))
        proto.graph.node.append(
            helper.make_node("MatMul", [last_block, "test_attribution_weights"], [fmt.ATTRIBUTION_OUTPUT])
        )
        proto.graph.output.append(
            helper.make_tensor_value_info(
                fmt.ATTRIBUTION_OUTPUT, TensorProto.FLOAT, ["batch", None, None, len(labels)]
            )
        )
    if fmt.NOVELTY_OUTPUT not in outputs:
        proto.graph.node.append(
            helper.make_node("ReduceMean", [last_block], [fmt.NOVELTY_OUTPUT], axes=[1, 2, 3], keepdims=0)
        )
        proto.graph.output.append(helper.make_tensor_value_info(fmt.NOVELTY_OUTPUT, TensorProto.FLOAT, ["batch"]))
        set_metadata(proto, fmt.META_NOVELTY, json.dumps({"output": fmt.NOVELTY_OUTPUT, "threshold": 0.0}))


def set_novelty_threshold(proto, threshold: float) -> None:
    novelty = json.loads(metadata_value(proto, fmt.META_NOVELTY))
    novelty["threshold"] = threshold
    set_metadata(proto, fmt.META_NOVELTY, json.dumps(novelty))


def file_menu_actions(window: MainWindow) -> list:
    """The actions of the window's File menu."""
    # The window's own reference: in PySide6 6.10, a menu reached through
    # QAction.menu() is deleted with that temporary wrapper.
    return list(window.file_menu.actions())
