"""Many photos at once: folder and mixed drops, paste, the results table, cancelling and the keyboard."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMimeData, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage  # noqa: E402
from PySide6.QtWidgets import QFileDialog  # noqa: E402
from test_app_support import (  # noqa: E402, F401 - fixtures are found by name
    RESULT_TIMEOUT_MS,
    cat_photo,
    classifier,
    column_texts,
    dog_photo,
    drop_files,
    entry_named,
    file_urls,
    image_array,
    isolated_settings,
    row_count,
    row_names,
    wait_for_detail,
    wait_until_idle,
    window,
)

from desktop.ui import photo_queue, worker  # noqa: E402
from desktop.ui.photo_queue import PhotoStatus  # noqa: E402
from desktop.ui.results_model import CONFIDENCE_COLUMN, LABEL_COLUMN, NAME_COLUMN, ResultFilter  # noqa: E402


@pytest.fixture
def mixed_folder(tmp_path, data_dir):
    """A folder tree of 12 real photos, a text file, a hidden file and an empty 'photo'."""
    folder = tmp_path / "holiday"
    (folder / "day1").mkdir(parents=True)
    (folder / "day2" / "evening").mkdir(parents=True)
    cats = sorted((data_dir / "train" / "cat").glob("*.jpg"))[:6]
    dogs = sorted((data_dir / "train" / "dog").glob("*.jpg"))[:6]
    for photo in cats:
        shutil.copy(photo, folder / "day1" / photo.name)
    for photo in dogs[:3]:
        shutil.copy(photo, folder / "day2" / photo.name)
    for photo in dogs[3:]:
        shutil.copy(photo, folder / "day2" / "evening" / photo.name)
    (folder / "notes.txt").write_text("where we went\n")
    (folder / "day1" / ".DS_Store").write_bytes(b"\0\0")
    (folder / "day2" / "broken.jpg").write_bytes(b"")
    return folder


def test_folder_drop_fills_table(qtbot, window, classifier, mixed_folder):
    drop_files(window, [mixed_folder])

    # 12 photos and the empty .jpg are listed; the text and hidden files are skipped.
    assert row_count(window) == 13
    assert "Skipped 2 files that are not images" in window.statusBar().currentMessage()
    wait_until_idle(qtbot, window)

    for entry in window.queue.entries():
        if entry.name == "broken.jpg":
            assert entry.status is PhotoStatus.FAILED
            assert "file is empty" in entry.error
            continue
        expected = classifier.classify_file(entry.path)
        assert entry.status is PhotoStatus.DONE
        assert entry.summary.label == expected.label
        assert entry.summary.confidence == pytest.approx(expected.confidence, abs=1e-5)
        # Rows get a thumbnail, never the decoded photo.
        thumbnail = window.queue.thumbnails.cached(entry.job_id)
        assert max(thumbnail.width(), thumbnail.height()) == worker.THUMBNAIL_MAX_SIDE

    status = window.statusBar().currentMessage()
    assert "Classified 12 photos." in status
    assert "Cannot classify broken.jpg" in status
    # The final summary still reports the files the drop left out.
    assert "Skipped 2 files that are not images." in status


def test_mixed_drop_of_files_and_folders(qtbot, window, classifier, mixed_folder, cat_photo, dog_photo):
    drop_files(window, [cat_photo, mixed_folder / "day2", dog_photo])
    wait_until_idle(qtbot, window)

    # Rows follow the drop's order, and a folder's photos are sorted by path.
    folder_photos = sorted((mixed_folder / "day2").rglob("*.jpg"))
    names = row_names(window)
    assert names == [cat_photo.name] + [path.name for path in folder_photos] + [dog_photo.name]
    assert len(names) == 2 + 3 + 3 + 1
    labels = column_texts(window, LABEL_COLUMN)
    for name, label in zip(names, labels):
        entry = entry_named(window, name)
        if entry.status is PhotoStatus.DONE:
            assert label == classifier.classify_file(entry.path).label


def test_batches_skip_feature_maps(qtbot, window, monkeypatch, mixed_folder):
    calls = []
    original_predict = type(window.classifier).predict

    def recording_predict(self, images, feature_maps=False, attribution=False):
        calls.append((len(images), feature_maps, attribution))
        return original_predict(self, images, feature_maps=feature_maps, attribution=attribution)

    monkeypatch.setattr(type(window.classifier), "predict", recording_predict)
    drop_files(window, [mixed_folder])
    wait_until_idle(qtbot, window)
    wait_for_detail(qtbot, window)

    batch_calls = [call for call in calls if not call[1]]
    detail_calls = [call for call in calls if call[1]]
    # 12 readable photos in one batch of at most BATCH_SIZE, without feature maps.
    assert sum(size for size, _, _ in batch_calls) == 12
    assert len(batch_calls) == -(-12 // worker.BATCH_SIZE)
    # Feature maps and attribution only for the photo on screen.
    assert detail_calls == [(1, True, True)]


def test_cancel_mid_batch(qtbot, window, classifier, data_dir):
    window.queue.batch_size = 4
    photos = sorted((data_dir / "train" / "cat").glob("*.jpg"))[:20] + sorted(
        (data_dir / "train" / "dog").glob("*.jpg")
    )[:20]
    drop_files(window, photos)
    assert window.progress_bar.isVisible()
    assert window.cancel_button.isVisible()
    assert window.progress_bar.maximum() == 40

    qtbot.waitUntil(
        lambda: any(entry.status is PhotoStatus.DONE for entry in window.queue.entries()),
        timeout=RESULT_TIMEOUT_MS,
    )
    assert window.progress_bar.value() >= 4
    done_at_click = sum(entry.status is PhotoStatus.DONE for entry in window.queue.entries())
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    wait_until_idle(qtbot, window)

    statuses = [entry.status for entry in window.queue.entries()]
    done = statuses.count(PhotoStatus.DONE)
    cancelled = statuses.count(PhotoStatus.CANCELLED)
    # Only the batch in flight at the click may still finish.
    assert done_at_click <= done <= done_at_click + 4
    assert cancelled >= 40 - done_at_click - 4
    assert done + cancelled == 40
    for entry in window.queue.entries():
        if entry.status is PhotoStatus.DONE:
            assert entry.summary.label == classifier.classify_file(entry.path).label
    assert not window.progress_bar.isVisible()
    assert not window.cancel_button.isVisible()
    assert f"Cancelled {cancelled} photos." in window.statusBar().currentMessage()


def test_window_responsive_during_batch(qtbot, window, data_dir):
    window.queue.batch_size = 4
    photos = sorted((data_dir / "train" / "dog").glob("*.jpg"))[:16]
    drop_files(window, photos)

    # Results arrive one batch at a time while the event loop keeps running.
    qtbot.waitUntil(
        lambda: 0 < sum(entry.status is PhotoStatus.DONE for entry in window.queue.entries()) < 16,
        timeout=RESULT_TIMEOUT_MS,
    )
    window.results_table.select_row(3)
    assert window.results_table.current_job_id() == window.queue.entries()[3].job_id
    wait_until_idle(qtbot, window)


def test_sort_by_confidence_and_name(qtbot, window, classifier, photo_paths):
    photos = photo_paths["cat"][:4] + photo_paths["dog"][:4]
    drop_files(window, photos)
    wait_until_idle(qtbot, window)
    expected = {photo.name: classifier.classify_file(photo).confidence for photo in photos}

    window.results_table.view.sortByColumn(CONFIDENCE_COLUMN, Qt.SortOrder.DescendingOrder)
    names = row_names(window)
    assert names == sorted(expected, key=lambda name: -expected[name])
    confidences = [float(text.rstrip("%")) for text in column_texts(window, CONFIDENCE_COLUMN)]
    assert confidences == sorted(confidences, reverse=True)

    window.results_table.view.sortByColumn(NAME_COLUMN, Qt.SortOrder.AscendingOrder)
    assert row_names(window) == sorted(expected, key=str.casefold)


def test_filter_by_predicted_label(qtbot, window, classifier, photo_paths):
    photos = photo_paths["cat"][:4] + photo_paths["dog"][:4]
    drop_files(window, photos)
    wait_until_idle(qtbot, window)
    predicted = {photo.name: classifier.classify_file(photo).label for photo in photos}

    box = window.results_table.filter_box
    options = [box.itemText(index) for index in range(box.count())]
    assert options == ["All photos", "Predicted cat", "Predicted dog", "Misclassified", "Not classified"]

    for label in ("cat", "dog"):
        box.setCurrentIndex(options.index(f"Predicted {label}"))
        expected_names = [name for name in row_names_in_added_order(photos) if predicted[name] == label]
        assert row_names(window) == expected_names
        assert set(column_texts(window, LABEL_COLUMN)) <= {label}
        assert window.results_table.count_text.text() == f"{len(expected_names)} of 8 photos"

    box.setCurrentIndex(options.index("All photos"))
    assert row_count(window) == 8
    assert window.results_table.count_text.text() == "8 photos"


def row_names_in_added_order(photos) -> list[str]:
    return [photo.name for photo in photos]


def test_selecting_row_shows_photo(qtbot, window, classifier, photo_paths):
    photos = photo_paths["cat"][:3]
    drop_files(window, photos)
    wait_until_idle(qtbot, window)

    window.results_table.select_row(2)
    expected = classifier.classify_file(photos[2])
    assert window.detail_view.file_name.text().startswith(photos[2].name)
    assert window.detail_view.label_text.text() == expected.label
    wait_for_detail(qtbot, window)
    assert window.detail_view.photo.image_size().width() > 0


def test_paste_copied_files(qtbot, window, mixed_folder, cat_photo):
    mime = QMimeData()
    mime.setUrls(file_urls([cat_photo, mixed_folder / "day1"]))
    QGuiApplication.clipboard().setMimeData(mime)

    window.paste_action.trigger()

    assert row_names(window) == [cat_photo.name] + sorted(path.name for path in (mixed_folder / "day1").glob("*.jpg"))
    wait_until_idle(qtbot, window)


def test_paste_copied_image(qtbot, window, classifier, tmp_path, dog_photo):
    image = QImage(str(dog_photo))
    QGuiApplication.clipboard().setImage(image)

    window.paste_action.trigger()
    wait_until_idle(qtbot, window)

    reference = tmp_path / "reference.png"
    assert image.save(str(reference), "PNG")
    assert row_names(window) == ["Pasted image 1"]
    assert column_texts(window, LABEL_COLUMN) == [classifier.classify_file(reference).label]


def test_paste_plain_text_paths(qtbot, window, cat_photo, dog_photo):
    QGuiApplication.clipboard().setText(f"{cat_photo}\n{dog_photo}\n")
    window.paste_action.trigger()
    assert row_names(window) == [cat_photo.name, dog_photo.name]
    wait_until_idle(qtbot, window)


def test_paste_nothing_usable(window):
    QGuiApplication.clipboard().setText("just some words")
    window.paste_action.trigger()
    assert row_count(window) == 0
    assert window.statusBar().currentMessage().startswith("Nothing to paste")


def test_remote_url_paste_rejected(window):
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/cat.jpg")])
    QGuiApplication.clipboard().setMimeData(mime)
    window.paste_action.trigger()
    assert row_count(window) == 0
    assert "works offline" in window.statusBar().currentMessage()


def test_copy_result_text(qtbot, window, classifier, cat_photo):
    drop_files(window, [cat_photo])
    wait_until_idle(qtbot, window)
    expected = classifier.classify_file(cat_photo)

    window.results_table.view.setFocus()
    qtbot.keyClick(window.results_table.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)

    text = f"{cat_photo.name}: {expected.label} ({expected.confidence:.1%})"
    assert QGuiApplication.clipboard().text() == text
    assert window.statusBar().currentMessage() == f"Copied: {text}"


def test_next_and_previous_keys(qtbot, window, photo_paths):
    photos = photo_paths["cat"][:3]
    drop_files(window, photos)
    wait_until_idle(qtbot, window)
    window.results_table.select_row(0)
    job_ids = [entry.job_id for entry in window.queue.entries()]

    window.results_table.view.setFocus()
    qtbot.keyClick(window.results_table.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert window.results_table.current_job_id() == job_ids[1]
    qtbot.keyClick(window.detail_view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert window.results_table.current_job_id() == job_ids[2]
    window.previous_action.trigger()
    assert window.results_table.current_job_id() == job_ids[1]
    # Past the last row nothing moves.
    window.next_action.trigger()
    window.next_action.trigger()
    assert window.results_table.current_job_id() == job_ids[2]


def test_menus_list_shortcuts(window):
    shortcuts = {}
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if not action.isSeparator():
                shortcuts[action.text()] = action.shortcut().toString()

    assert shortcuts["&Open Photos…"] == "Ctrl+O"
    assert shortcuts["Open &Folder…"] == "Ctrl+Shift+O"
    assert shortcuts["Open &Model…"] == "Ctrl+Shift+M"
    assert shortcuts["&Export Results as CSV…"] == "Ctrl+E"
    assert shortcuts["&Paste Photos"] == "Ctrl+V"
    assert shortcuts["&Copy Result"] == "Ctrl+C"
    assert shortcuts["&Next Result"] == "Ctrl+Down"
    assert shortcuts["&Previous Result"] == "Ctrl+Up"
    assert shortcuts["&Cancel Classification"] == "Esc"
    assert shortcuts["&Quit"] == "Ctrl+Q"
    assert shortcuts["&Model Details"] == "Ctrl+I"


def test_clear_results(qtbot, window, photo_paths):
    drop_files(window, photo_paths["cat"][:3])
    wait_until_idle(qtbot, window)

    window.clear_action.trigger()

    assert row_count(window) == 0
    assert window.queue.entries() == []
    assert window.detail_view.label_text.text() == "No photo yet"
    # Photos dropped again after clearing are classified again.
    drop_files(window, photo_paths["cat"][:1])
    wait_until_idle(qtbot, window)
    assert [entry.status for entry in window.queue.entries()] == [PhotoStatus.DONE]


def test_failed_filter_lists_unreadable(qtbot, window, mixed_folder):
    drop_files(window, [mixed_folder])
    wait_until_idle(qtbot, window)

    window.results_table.set_filter(ResultFilter("failed"))
    assert row_names(window) == ["broken.jpg"]
    assert window.results_table.filter_box.currentText() == "Not classified"


def test_memory_bounded_while_browsing(qtbot, window, monkeypatch, data_dir):
    monkeypatch.setattr(photo_queue, "DETAIL_CACHE_SIZE", 3)
    photos = sorted((data_dir / "train" / "cat").glob("*.jpg"))[:8]
    drop_files(window, photos)
    wait_until_idle(qtbot, window)

    for row in range(8):
        window.results_table.select_row(row)
        job_id = window.results_table.current_job_id()
        qtbot.waitUntil(lambda: window.queue.detail(job_id) is not None, timeout=RESULT_TIMEOUT_MS)
        assert window.queue.cached_detail_count() <= 3

    # Every row keeps its probabilities, and thumbnails stay small.
    for entry in window.queue.entries():
        thumbnail = window.queue.thumbnails.cached(entry.job_id)
        assert max(thumbnail.width(), thumbnail.height()) <= worker.THUMBNAIL_MAX_SIDE
        assert set(entry.summary.probabilities) == {"cat", "dog"}
    assert window.queue.cached_detail_count() == 3


def test_thumbnails_kept_for_recent_rows_only(qtbot, window, data_dir):
    """Thumbnails beyond the cache's capacity are dropped, and read again when their row is painted."""
    thumbnails = window.queue.thumbnails
    thumbnails.capacity = 4
    view = window.results_table.view
    view.hide()  # nothing is painted, so only the batch fills the cache
    photos = sorted((data_dir / "train" / "dog").glob("*.jpg"))[:10]
    drop_files(window, photos)
    wait_until_idle(qtbot, window)

    entries = window.queue.entries()
    assert len(thumbnails) == 4
    assert [thumbnails.cached(entry.job_id) is not None for entry in entries] == [False] * 6 + [True] * 4
    first = entries[0]
    expected = worker.read_thumbnail(first.path)

    # Showing the table paints the rows on screen, and each missing
    # thumbnail is read again. Room for all ten keeps them cached.
    thumbnails.capacity = 10
    ready_ids = []
    thumbnails.ready.connect(ready_ids.append)
    view.show()
    qtbot.waitUntil(lambda: first.job_id in ready_ids, timeout=RESULT_TIMEOUT_MS)
    reloaded = thumbnails.cached(first.job_id)
    assert reloaded.size() == expected.size()
    assert image_array(reloaded).tobytes() == image_array(expected).tobytes()
    assert len(thumbnails) <= 10


def test_thumbnail_of_deleted_photo_not_read_again(qtbot, window, data_dir, tmp_path):
    photo = tmp_path / "gone.jpg"
    shutil.copyfile(sorted((data_dir / "train" / "cat").glob("*.jpg"))[0], photo)
    drop_files(window, [photo])
    wait_until_idle(qtbot, window)
    thumbnails = window.queue.thumbnails
    job_id = window.queue.entries()[0].job_id
    thumbnails.clear()
    photo.unlink()

    assert thumbnails.get(job_id, photo) is None
    qtbot.waitUntil(lambda: not thumbnails.is_loading(), timeout=RESULT_TIMEOUT_MS)
    assert thumbnails.get(job_id, photo) is None
    assert not thumbnails.is_loading()  # the missing file is not tried again
    # The row keeps its result.
    assert window.queue.entries()[0].status is PhotoStatus.DONE


def test_open_folder_dialog(qtbot, window, monkeypatch, mixed_folder):
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *args: str(mixed_folder / "day1")))
    window.results_table.set_filter(ResultFilter("failed"))

    window.open_folder_action.trigger()

    # The new rows are listed even though the "Not classified" filter was on.
    assert window.results_table.result_filter() == ResultFilter()
    assert row_names(window) == sorted(path.name for path in (mixed_folder / "day1").glob("*.jpg"))
    wait_until_idle(qtbot, window)


def test_batch_inputs_match_shared_loader(classifier, photo_paths):
    """The batch path decodes once for input and thumbnail, yet feeds the model the loader's pixels."""
    from desktop.ui.worker import classify_batch

    paths = photo_paths["cat"][:3] + photo_paths["dog"][:3]
    outcomes, unclassified = classify_batch(classifier, [(i, p, True) for i, p in enumerate(paths)])
    assert unclassified == []
    for outcome, path in zip(outcomes, paths):
        expected = classifier.classify_file(path).probabilities
        got = np.array([outcome.summary.probabilities[label] for label in classifier.labels])
        assert np.max(np.abs(got - expected)) <= 1e-5, path.name
        assert not outcome.thumbnail.isNull()
        assert max(outcome.thumbnail.width(), outcome.thumbnail.height()) == 96
