"""The Qt window on real photos and the shipped model, driven offscreen with pytest-qt.

Single photos, broken files, remote URLs, dialogs and the command line. The
batch table, labelled folders, models and feature-map interactions have
their own `test_app_*.py` modules; shared helpers are in `test_app_support`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QMimeData, QUrl  # noqa: E402
from PySide6.QtGui import QImage, QKeySequence  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402
from test_app_support import (  # noqa: E402, F401 - fixtures are found by name
    RESULT_TIMEOUT_MS,
    cat_photo,
    classifier,
    column_texts,
    dog_photo,
    drop,
    file_menu_actions,
    drop_files,
    file_urls,
    isolated_settings,
    row_count,
    row_names,
    wait_for_detail,
    wait_until_idle,
    window,
)

from desktop.__main__ import WINDOW_SIZE, main  # noqa: E402
from desktop.core.classifier import Classifier  # noqa: E402
from desktop.ui import photo_queue  # noqa: E402
from desktop.ui.main_window import MainWindow  # noqa: E402
from desktop.ui.messages import result_line  # noqa: E402
from desktop.ui.photo_queue import PhotoStatus  # noqa: E402
from desktop.ui.results_model import CONFIDENCE_COLUMN, LABEL_COLUMN  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent


def select_row(window: MainWindow, row: int) -> None:
    window.results_table.select_row(row)


def assert_detail_matches(qtbot, window: MainWindow, classifier: Classifier, photo: Path) -> None:
    """Check the detail view against a prediction made without the window."""
    expected = classifier.classify_file(photo, feature_maps=True)
    detail = window.detail_view
    qtbot.waitUntil(lambda: len(detail.feature_maps.grids) > 0, timeout=RESULT_TIMEOUT_MS)

    assert detail.label_text.text() == expected.label
    assert f"{expected.confidence:.1%}" in detail.confidence_text.text()
    for label, probability in zip(expected.labels, expected.probabilities):
        assert detail.probability_bars.percentages[label].text() == f"{probability:.1%}"
        assert detail.probability_bars.bars[label].value() == round(probability * 1000)

    grids = detail.feature_maps.grids
    titles = [title.text() for title in detail.feature_maps.titles]
    assert len(grids) == len(classifier.feature_map_names)
    for name, grid, title in zip(classifier.feature_map_names, grids, titles):
        height, width, channels = expected.feature_maps[name].shape
        assert title == f"{name}  {height}×{width}×{channels}"
        assert grid.tile_count == channels
        assert grid.feature_map.tiles.height() == channels * height
        assert grid.feature_map.tiles.width() == width
        assert grid.isVisible()
        assert grid.height() > 0

    # The photo is shown upright with the file's aspect ratio.
    with Image.open(photo) as image:
        file_width, file_height = image.size
    shown_size = detail.photo.image_size()
    assert shown_size.width() > 0
    assert shown_size.width() / shown_size.height() == pytest.approx(file_width / file_height, rel=0.02)


def test_drop_two_photos_shows_results(qtbot, window, classifier, cat_photo, dog_photo):
    event = drop_files(window, [cat_photo, dog_photo])
    assert event.isAccepted()
    assert row_count(window) == 2
    # Results arrive by queued signal, so the drop returned before any photo
    # was classified: the work ran off the GUI thread.
    assert [entry.status for entry in window.queue.entries()] == [PhotoStatus.WAITING] * 2
    assert column_texts(window, LABEL_COLUMN) == ["classifying…"] * 2

    wait_until_idle(qtbot, window)

    for row, photo in enumerate([cat_photo, dog_photo]):
        expected = classifier.classify_file(photo)
        assert row_names(window)[row] == photo.name
        assert column_texts(window, LABEL_COLUMN)[row] == expected.label
        assert column_texts(window, CONFIDENCE_COLUMN)[row] == f"{expected.confidence:.1%}"

        select_row(window, row)
        assert_detail_matches(qtbot, window, classifier, photo)


def test_drop_selects_first_new_photo(qtbot, window, cat_photo, dog_photo):
    drop_files(window, [cat_photo])
    drop_files(window, [dog_photo])

    assert window.results_table.view.currentIndex().row() == 1
    wait_until_idle(qtbot, window)
    assert window.detail_view.file_name.text().startswith(dog_photo.name)


def test_broken_files_keep_earlier_results(qtbot, window, classifier, tmp_path, cat_photo, dog_photo):
    drop_files(window, [cat_photo])
    wait_until_idle(qtbot, window)
    first_label = column_texts(window, LABEL_COLUMN)[0]

    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text_file = tmp_path / "notes.jpg"
    text_file.write_text("not a photo, just text\n")
    drop_files(window, [empty, text_file])
    wait_until_idle(qtbot, window)

    assert row_names(window) == [cat_photo.name, "empty.jpg", "notes.jpg"]
    labels = column_texts(window, LABEL_COLUMN)
    assert labels[0] == first_label
    assert "file is empty" in labels[1]
    assert "not an image" in labels[2]
    status = window.statusBar().currentMessage()
    assert "empty.jpg" in status
    assert "notes.jpg" in status

    select_row(window, 1)
    assert window.detail_view.label_text.text() == "Not classified"
    assert window.detail_view.message.text().startswith("File is empty")
    assert not window.detail_view.probability_bars.isVisible()
    assert window.detail_view.feature_maps.grids == []

    # The window keeps working: a good photo dropped afterwards is classified.
    drop_files(window, [dog_photo])
    wait_until_idle(qtbot, window)
    assert row_count(window) == 4
    assert column_texts(window, LABEL_COLUMN)[0] == first_label
    assert_detail_matches(qtbot, window, classifier, dog_photo)


def test_exif_rotated_photo_shown_upright(qtbot, window, tmp_path, cat_photo):
    rotated = tmp_path / "rotated.jpg"
    with Image.open(cat_photo) as image:
        width, height = image.size
        exif = Image.Exif()
        exif[0x0112] = 6  # EXIF Orientation 6: display rotated 90 degrees clockwise
        image.save(rotated, exif=exif, quality=95)
    assert width != height

    drop_files(window, [rotated])
    wait_until_idle(qtbot, window)
    wait_for_detail(qtbot, window)

    shown_size = window.detail_view.photo.image_size()
    assert shown_size.width() / shown_size.height() == pytest.approx(height / width, rel=0.02)
    assert f"({height}×{width})" in window.detail_view.file_name.text()


def test_missing_file_named_in_row(qtbot, window, tmp_path):
    missing = tmp_path / "moved-away.jpg"
    drop_files(window, [missing])
    wait_until_idle(qtbot, window)

    assert row_names(window) == ["moved-away.jpg"]
    assert column_texts(window, LABEL_COLUMN) == [
        "file not found; check the path, or whether the file was moved or deleted"
    ]
    assert "moved-away.jpg" in window.statusBar().currentMessage()


def test_remote_url_drop_rejected(window):
    mime = QMimeData()
    url = "https://example.com/photos/cat.jpg"
    mime.setUrls([QUrl(url)])
    drop(window, mime)

    assert row_count(window) == 0
    assert window.queue.entries() == []
    status = window.statusBar().currentMessage()
    assert url in status
    assert "works offline" in status
    assert "does not download" in status


def test_url_argument_rejected(qtbot, window, cat_photo):
    """A web address given like a path is rejected, not looked up as a local file."""
    url = "https://example.com/photos/cat.jpg"
    job_ids = window.open_paths([url, QUrl.fromLocalFile(str(cat_photo)).toString()])

    status = window.statusBar().currentMessage()
    assert url in status
    assert "works offline" in status
    assert len(job_ids) == 1
    wait_until_idle(qtbot, window)
    assert row_names(window) == [cat_photo.name]


def test_url_on_command_line_rejected(qapp, monkeypatch, tmp_path, model_path, cat_photo):
    """Web addresses given to the launcher reach the window intact and are rejected; file:// URLs open."""
    from desktop.ui.main_window import MainWindow

    messages = []
    original = MainWindow.open_paths

    def open_and_record(self, paths):
        job_ids = original(self, paths)
        messages.append((len(job_ids), self.statusBar().currentMessage()))
        return job_ids

    monkeypatch.setattr(MainWindow, "open_paths", open_and_record)
    url = "http://example.invalid/cat.jpg"
    file_url = QUrl.fromLocalFile(str(cat_photo)).toString()
    assert main([url, file_url, "--model", str(model_path), "--screenshot", str(tmp_path / "shot.png")]) == 0

    [(added, status)] = messages
    assert added == 1
    assert url in status
    assert "works offline" in status


def test_remote_url_beside_local_file(qtbot, window, cat_photo):
    mime = QMimeData()
    mime.setUrls(file_urls([cat_photo]) + [QUrl("http://example.com/dog.jpg")])
    drop(window, mime)

    assert row_count(window) == 1
    assert "http://example.com/dog.jpg" in window.statusBar().currentMessage()
    wait_until_idle(qtbot, window)
    # The photo's result line does not hide the rejected address.
    final = window.statusBar().currentMessage()
    assert "http://example.com/dog.jpg" in final
    assert final.startswith(result_line(window.queue.entries()[0]))


def test_folder_drop_skips_non_images(qtbot, window, tmp_path, cat_photo, dog_photo):
    folder = tmp_path / "album"
    (folder / "inner").mkdir(parents=True)
    shutil.copy(cat_photo, folder / "a-cat.jpg")
    shutil.copy(dog_photo, folder / "inner" / "b-dog.jpg")
    (folder / "readme.txt").write_text("two photos\n")
    (folder / ".DS_Store").write_bytes(b"\0")

    drop_files(window, [folder])

    assert row_names(window) == ["a-cat.jpg", "b-dog.jpg"]
    assert "Skipped 2 files that are not images" in window.statusBar().currentMessage()
    wait_until_idle(qtbot, window)
    assert all(entry.status is PhotoStatus.DONE for entry in window.queue.entries())


def test_same_photo_dropped_twice_kept_once(qtbot, window, cat_photo, dog_photo):
    drop_files(window, [cat_photo, dog_photo])
    wait_until_idle(qtbot, window)

    drop_files(window, [cat_photo])

    assert row_count(window) == 2
    assert window.results_table.current_job_id() == window.queue.entries()[0].job_id
    assert "already in the list" in window.statusBar().currentMessage()


def test_image_data_drop_classified(qtbot, window, classifier, tmp_path, cat_photo):
    image = QImage(str(cat_photo))
    assert not image.isNull()
    mime = QMimeData()
    mime.setImageData(image)
    drop(window, mime)
    wait_until_idle(qtbot, window)

    # The same pixels, saved losslessly, give the expected prediction.
    reference = tmp_path / "reference.png"
    assert image.save(str(reference), "PNG")
    expected = classifier.classify_file(reference)
    assert row_names(window) == ["Dropped image 1"]
    assert window.detail_view.label_text.text() == expected.label
    assert f"{expected.confidence:.1%}" in window.detail_view.confidence_text.text()


def test_open_dialog_adds_chosen_files(qtbot, window, monkeypatch, cat_photo, dog_photo):
    def choose_two(parent, caption, directory, file_filter):
        assert "*.jpg" in file_filter
        return [str(cat_photo), str(dog_photo)], file_filter

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(choose_two))
    open_actions = [
        action for action in file_menu_actions(window)
        if action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    ]
    assert len(open_actions) == 1
    open_actions[0].trigger()

    assert row_count(window) == 2
    wait_until_idle(qtbot, window)
    assert all(entry.status is PhotoStatus.DONE for entry in window.queue.entries())


def test_cancel_waiting_photos(qtbot, window, classifier, photo_paths):
    photos = photo_paths["cat"] + photo_paths["dog"]
    drop_files(window, photos)
    cancelled = window.queue.cancel_waiting()
    wait_until_idle(qtbot, window)

    # Every photo but those of the first batch was still queued, so it was
    # cancelled at once. The first batch had started and may have finished
    # or been stopped before its next photo.
    statuses = [entry.status for entry in window.queue.entries()]
    assert cancelled >= len(photos) - photo_queue.BATCH_SIZE
    assert statuses.count(PhotoStatus.CANCELLED) >= cancelled
    assert statuses.count(PhotoStatus.DONE) + statuses.count(PhotoStatus.CANCELLED) == len(photos)
    assert column_texts(window, LABEL_COLUMN).count("cancelled") == statuses.count(PhotoStatus.CANCELLED)
    for entry in window.queue.entries():
        if entry.status is PhotoStatus.DONE:
            assert entry.summary.label == classifier.classify_file(entry.path).label
    assert not window.cancel_action.isEnabled()


def test_evicted_detail_rendered_again(qtbot, window, classifier, monkeypatch, cat_photo, dog_photo):
    monkeypatch.setattr(photo_queue, "DETAIL_CACHE_SIZE", 1)
    drop_files(window, [cat_photo, dog_photo])
    wait_until_idle(qtbot, window)
    first_job, second_job = [entry.job_id for entry in window.queue.entries()]
    qtbot.waitUntil(lambda: window.queue.detail(first_job) is not None, timeout=RESULT_TIMEOUT_MS)

    # Showing the second photo renders its detail, which evicts the first.
    select_row(window, 1)
    qtbot.waitUntil(lambda: window.queue.detail(second_job) is not None, timeout=RESULT_TIMEOUT_MS)
    assert window.queue.detail(first_job) is None

    select_row(window, 0)
    assert window.detail_view.feature_maps.grids == []
    assert "Rendering" in window.detail_view.feature_maps.message()

    assert_detail_matches(qtbot, window, classifier, cat_photo)
    assert window.queue.detail(first_job) is not None


def test_quit_and_open_shortcuts(window):
    shortcuts = {
        action.text(): action.shortcut().toString()
        for action in file_menu_actions(window)
    }
    assert shortcuts["&Open Photos…"] == "Ctrl+O"
    assert shortcuts["&Quit"] == "Ctrl+Q"


def test_about_names_model_and_labels(qtbot, window, classifier):
    window.about_action.trigger()
    box = window.findChild(QMessageBox)
    assert box is not None
    qtbot.waitUntil(box.isVisible)

    text = box.text()
    assert str(classifier.path) in text
    assert ", ".join(classifier.labels) in text
    box.close()


def test_screenshot_written_after_results(qapp, capsys, tmp_path, model_path, cat_photo, dog_photo):
    shot = tmp_path / "shot.png"

    status = main([str(cat_photo), str(dog_photo), "--model", str(model_path), "--screenshot", str(shot)])

    assert status == 0
    assert capsys.readouterr().out.strip() == str(shot)
    assert shot.is_file()
    with Image.open(shot) as image:
        assert image.size == WINDOW_SIZE
        pixels = np.asarray(image.convert("RGB"))
    # A blank or unfinished window has a few flat colours. The photo, the
    # thumbnails and the feature-map tiles add thousands.
    distinct_colors = np.unique(pixels.reshape(-1, 3), axis=0).shape[0]
    assert distinct_colors > 2000
    assert pixels.std() > 20


def test_screenshot_status_with_failed_photos(qapp, capsys, tmp_path, model_path, cat_photo):
    """A screenshot run saves the window, names each photo it could not classify and exits with status 3."""
    from desktop.__main__ import SCREENSHOT_WITH_FAILURES

    shot = tmp_path / "shot.png"
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")

    status = main([str(cat_photo), str(empty), "--model", str(model_path), "--screenshot", str(shot)])

    assert status == SCREENSHOT_WITH_FAILURES
    assert shot.is_file()
    output = capsys.readouterr()
    assert output.out.strip() == str(shot)
    assert f"cannot classify {empty}: " in output.err
    assert "empty" in output.err
    assert str(cat_photo) not in output.err


def test_screenshot_with_evidence_overlay(qapp, capsys, tmp_path, model_path, dog_photo):
    plain, overlaid = tmp_path / "plain.png", tmp_path / "evidence.png"
    assert main([str(dog_photo), "--model", str(model_path), "--screenshot", str(plain)]) == 0
    assert main([str(dog_photo), "--model", str(model_path), "--evidence", "dog", "--screenshot", str(overlaid)]) == 0

    with Image.open(plain) as first, Image.open(overlaid) as second:
        difference = np.abs(np.asarray(first.convert("RGB"), dtype=int) - np.asarray(second.convert("RGB"), dtype=int))
    # The heatmap covers the photo, a large block of the window; the rest is unchanged.
    changed = difference.max(axis=2) > 30
    assert 0.03 < changed.mean() < 0.5


def test_evidence_before_photo_explains_order(capsys, model_path, cat_photo):
    status = main(["--model", str(model_path), "--evidence", str(cat_photo)])

    assert status == 2
    error = capsys.readouterr().err
    assert "is not a label of the model" in error
    assert "put it before --evidence or write --evidence=LABEL" in error


def test_evidence_for_unknown_label_exits_with_message(capsys, model_path):
    status = main(["--model", str(model_path), "--evidence", "horse"])

    assert status == 2
    error = capsys.readouterr().err
    assert "'horse' is not a label of the model" in error
    assert "cat, dog" in error


def test_missing_model_exits_with_message(capsys, tmp_path):
    missing = tmp_path / "missing.onnx"

    status = main(["--model", str(missing)])

    assert status == 2
    error = capsys.readouterr().err
    assert str(missing) in error
    assert "not found" in error


def test_screenshot_must_be_png(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["--screenshot", str(tmp_path / "shot.jpg")])
    assert exit_info.value.code == 2
    assert "--screenshot must name a .png file" in capsys.readouterr().err


def test_app_never_imports_tensorflow(tmp_path, cat_photo):
    shot = tmp_path / "shot.png"
    script = (
        "import json, sys\n"
        "from desktop.__main__ import main\n"
        f"status = main([{str(cat_photo)!r}, '--screenshot', {str(shot)!r}])\n"
        "loaded = sorted(name for name in sys.modules\n"
        "                if name.split('.')[0] in ('tensorflow', 'keras', 'tf2onnx'))\n"
        "print(json.dumps({'status': status, 'loaded': loaded}))\n"
    )
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")

    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["status"] == 0
    assert report["loaded"] == []
    assert shot.is_file()


def test_ctrl_c_closes_app(tmp_path):
    """SIGINT from the terminal closes the window and the app exits with status 0."""
    import signal
    import time

    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop"], cwd=REPO_ROOT, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        time.sleep(3)  # the window is up well within this on 2 busy cores
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=20)
    finally:
        process.kill()
    assert status == 0
    assert "Traceback" not in process.stderr.read()
