"""Labelled folders (accuracy, confusion matrix, misclassified photos) and CSV export."""

from __future__ import annotations

import csv
import os
import shutil

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402
from test_app_support import (  # noqa: E402, F401 - fixtures are found by name
    cat_photo,
    classifier,
    copy_photo_set,
    dog_photo,
    drop_files,
    entry_named,
    isolated_settings,
    row_names,
    wait_until_idle,
    window,
)

from desktop.core.results import csv_header  # noqa: E402
from desktop.ui.photo_queue import PhotoStatus  # noqa: E402
from desktop.ui.results_model import TRUE_LABEL_COLUMN  # noqa: E402
from training.evaluate import evaluate_folder  # noqa: E402


@pytest.fixture
def labelled_folder(tmp_path, data_dir):
    """validation-like: cat/ and dog/ with 6 real photos each, a broken photo, a note and a loose photo."""
    folder = copy_photo_set(data_dir, tmp_path / "validation", per_class=6)
    (folder / "cat" / "broken.jpg").write_bytes(b"not a jpeg at all")
    (folder / "README.txt").write_text("six cats and six dogs\n")
    loose = sorted((data_dir / "train" / "dog").glob("*.jpg"))[0]
    shutil.copy(loose, folder / "unsorted.jpg")
    return folder


def test_labelled_folder_matches_evaluate(qtbot, window, classifier, labelled_folder):
    drop_files(window, [labelled_folder])
    message = window.statusBar().currentMessage()
    assert "Labelled by sub-folder in validation: 7 photos of cat, 6 photos of dog." in message
    assert "Skipped 1 file that is not an image." in message
    wait_until_idle(qtbot, window)
    window.update_evaluation()

    expected, probabilities, paths, targets, skipped = evaluate_folder(classifier, labelled_folder)
    shown = window.evaluation().summary

    assert shown["n_images"] == expected["n_images"] == 12
    assert shown["accuracy"] == pytest.approx(expected["accuracy"])
    assert shown["confusion_matrix"] == expected["confusion_matrix"]
    assert shown["labels"] == expected["labels"]
    for label in expected["labels"]:
        assert shown["per_class"][label]["support"] == expected["per_class"][label]["support"]
        assert shown["per_class"][label]["precision"] == pytest.approx(expected["per_class"][label]["precision"])
        assert shown["per_class"][label]["recall"] == pytest.approx(expected["per_class"][label]["recall"])
    assert [path for path, _ in skipped] == [str(labelled_folder / "cat" / "broken.jpg")]

    # The panel shows the same figures.
    panel = window.evaluation_panel
    assert panel.isVisible()
    assert f"Accuracy {expected['accuracy']:.1%}" in panel.accuracy_text.text()
    assert "1 could not be read" in panel.accuracy_text.text()
    for true, row in enumerate(expected["confusion_matrix"]):
        for predicted, count in enumerate(row):
            assert panel.matrix.item(true, predicted).text() == str(count)
    for row, label in enumerate(expected["labels"]):
        assert panel.per_class.item(row, 0).text() == f"{expected['per_class'][label]['precision']:.1%}"
        assert panel.per_class.item(row, 1).text() == f"{expected['per_class'][label]['recall']:.1%}"

    # The loose photo is classified without a true label, and the note is skipped.
    assert entry_named(window, "unsorted.jpg").true_label is None
    assert entry_named(window, "unsorted.jpg").status is PhotoStatus.DONE
    assert not window.results_table.view.isColumnHidden(TRUE_LABEL_COLUMN)


def test_confusion_cell_lists_its_photos(qtbot, window, classifier, labelled_folder):
    drop_files(window, [labelled_folder])
    wait_until_idle(qtbot, window)
    window.update_evaluation()
    _, probabilities, paths, targets, _ = evaluate_folder(classifier, labelled_folder)
    predicted = np.argmax(probabilities, axis=1)
    labels = classifier.labels

    panel = window.evaluation_panel
    for true in range(len(labels)):
        for column in range(len(labels)):
            rect = panel.matrix.visualItemRect(panel.matrix.item(true, column))
            qtbot.mouseClick(panel.matrix.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            expected_names = sorted(
                os.path.basename(path)
                for path, target, guess in zip(paths, targets, predicted)
                if target == true and guess == column
            )
            assert sorted(row_names(window)) == expected_names
            assert window.results_table.filter_box.currentText() == f"True {labels[true]}, predicted {labels[column]}"


def test_misclassified_filter(qtbot, window, classifier, labelled_folder):
    drop_files(window, [labelled_folder])
    wait_until_idle(qtbot, window)
    window.update_evaluation()
    _, probabilities, paths, targets, _ = evaluate_folder(classifier, labelled_folder)
    wrong = sorted(
        os.path.basename(path)
        for path, target, guess in zip(paths, targets, np.argmax(probabilities, axis=1))
        if target != guess
    )

    button = window.evaluation_panel.misclassified_button
    assert button.text() == f"Show misclassified ({len(wrong)})"
    if wrong:
        button.click()
        assert sorted(row_names(window)) == wrong
        assert window.results_table.filter_box.currentText() == "Misclassified"
    else:
        assert not button.isEnabled()


def test_unlabelled_drop_hides_evaluation(qtbot, window, cat_photo, labelled_folder):
    drop_files(window, [cat_photo, labelled_folder / "dog"])
    wait_until_idle(qtbot, window)
    window.update_evaluation()

    assert window.evaluation() is None
    assert not window.evaluation_panel.isVisible()
    assert window.results_table.view.isColumnHidden(TRUE_LABEL_COLUMN)


def test_folder_adds_true_label_later(qtbot, window, labelled_folder):
    photo = sorted((labelled_folder / "dog").glob("*.jpg"))[0]
    drop_files(window, [photo])
    wait_until_idle(qtbot, window)
    assert window.queue.entries()[0].true_label is None

    drop_files(window, [labelled_folder])
    wait_until_idle(qtbot, window)

    assert window.queue.entries()[0].true_label == "dog"
    assert [entry.path for entry in window.queue.entries()].count(photo) == 1
    window.update_evaluation()
    assert window.evaluation().summary["n_images"] == 12


def test_csv_export_contents(qtbot, window, classifier, labelled_folder, cat_photo, tmp_path):
    drop_files(window, [cat_photo, labelled_folder])
    wait_until_idle(qtbot, window)
    target = tmp_path / "out" / "results.csv"
    target.parent.mkdir()

    written = window.export_csv(target)

    with open(target, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    header, body = rows[0], rows[1:]
    assert header == csv_header(classifier.labels)
    assert header == [
        "path", "label", "confidence", "probability_cat", "probability_dog",
        "true_label", "model", "model_modified",
    ]
    classified = [entry for entry in window.queue.entries() if entry.status is PhotoStatus.DONE]
    assert written == len(body) == len(classified) == 14

    for row, entry in zip(body, classified):
        record = dict(zip(header, row))
        expected = classifier.classify_file(entry.path)
        assert record["path"] == str(entry.path)
        assert record["label"] == expected.label
        assert float(record["confidence"]) == pytest.approx(expected.confidence, abs=2e-6)
        for label, probability in zip(expected.labels, expected.probabilities):
            assert float(record[f"probability_{label}"]) == pytest.approx(float(probability), abs=2e-6)
        assert record["true_label"] == (entry.true_label or "")
        assert record["model"] == str(classifier.path)
        assert record["model_modified"] != ""

    true_labels = [dict(zip(header, row))["true_label"] for row in body]
    assert true_labels.count("cat") == 6
    assert true_labels.count("dog") == 6
    assert true_labels.count("") == 2  # the dropped photo and the loose one
    message = window.statusBar().currentMessage()
    assert f"Exported 14 results to {target}." in message
    assert "1 photo without a result was left out." in message


def test_export_dialog_writes_chosen_file(qtbot, window, monkeypatch, tmp_path, cat_photo):
    target = tmp_path / "chosen.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *args: (str(target), "CSV files (*.csv)")))

    window.export_action.trigger()
    assert not target.exists()
    assert window.statusBar().currentMessage() == "Nothing to export: no photo is classified yet."

    drop_files(window, [cat_photo])
    wait_until_idle(qtbot, window)
    window.export_action.trigger()
    with open(target, newline="", encoding="utf-8") as stream:
        assert len(list(csv.reader(stream))) == 2


def test_export_to_missing_folder_reports(qtbot, window, tmp_path, cat_photo):
    drop_files(window, [cat_photo])
    wait_until_idle(qtbot, window)
    target = tmp_path / "no-such-folder" / "results.csv"

    assert window.export_csv(target) == 0
    assert not target.exists()
    box = window.findChild(QMessageBox)
    assert box is not None
    assert str(target) in box.text()
    box.close()
