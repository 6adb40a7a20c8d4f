"""The app's pure logic without Qt: photo collection, evaluation, CSV export and colour maps."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop.core.colormaps import INFERNO, VIRIDIS, heatmap_rgba, positive_evidence
from desktop.core.metrics import classification_summary
from desktop.core.photo_sets import collect_photos, labelled_subfolders
from desktop.core.results import ResultRecord, csv_header, evaluate_records, write_results_csv

LABELS = ("cat", "dog")


def record(name: str, dog_probability: float, true_label: str | None = None) -> ResultRecord:
    return ResultRecord(
        path=Path("/photos") / name,
        labels=LABELS,
        probabilities=(1 - dog_probability, dog_probability),
        true_label=true_label,
        model="/models/classifier.onnx",
        model_modified="2026-12-04T20:51:11+00:00",
    )


@pytest.fixture
def photo_tree(tmp_path, photo_paths):
    """album/ with cat/ and dog/ sub-folders, a loose photo, other folders and non-images."""
    root = tmp_path / "album"
    for label in ("cat", "dog"):
        (root / label / "nested").mkdir(parents=True)
        shutil.copy(photo_paths[label][0], root / label / "a.jpg")
        shutil.copy(photo_paths[label][1], root / label / "nested" / "b.JPG")
        (root / label / "notes.txt").write_text("text\n")
        (root / label / ".DS_Store").write_bytes(b"\0")
    (root / "trips").mkdir()
    shutil.copy(photo_paths["dog"][2], root / "trips" / "c.jpeg")
    shutil.copy(photo_paths["cat"][2], root / "loose.png")
    (root / "index.html").write_text("<html></html>\n")
    (root / ".hidden").mkdir()
    shutil.copy(photo_paths["cat"][3], root / ".hidden" / "d.jpg")
    return root


def test_labelled_subfolders_in_label_order(photo_tree):
    assert labelled_subfolders(photo_tree, ["dog", "cat", "bird"]) == ["dog", "cat"]
    assert labelled_subfolders(photo_tree / "trips", LABELS) == []
    assert labelled_subfolders(photo_tree / "loose.png", LABELS) == []


def test_collect_labelled_folder(photo_tree):
    collection = collect_photos([photo_tree], LABELS)

    found = {photo.path.relative_to(photo_tree).as_posix(): photo.true_label for photo in collection.photos}
    assert found == {
        "cat/a.jpg": "cat",
        "cat/nested/b.JPG": "cat",
        "dog/a.jpg": "dog",
        "dog/nested/b.JPG": "dog",
        "loose.png": None,
        "trips/c.jpeg": None,
    }
    # Two notes.txt, two .DS_Store and index.html; the hidden folder is not walked.
    assert collection.skipped == 5
    assert collection.labelled_folders == [photo_tree]


def test_collect_unlabelled_when_no_label_folder(photo_tree):
    collection = collect_photos([photo_tree], ["bird", "fish"])

    assert all(photo.true_label is None for photo in collection.photos)
    assert len(collection.photos) == 6
    assert collection.labelled_folders == []


def test_collect_keeps_named_files(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo\n")
    collection = collect_photos([notes, tmp_path / "missing.jpg"], LABELS)
    assert [photo.path for photo in collection.photos] == [notes, tmp_path / "missing.jpg"]
    assert collection.skipped == 0


def test_evaluate_records_matches_summary():
    records = [
        record("1.jpg", 0.1, "cat"),
        record("2.jpg", 0.7, "cat"),
        record("3.jpg", 0.9, "dog"),
        record("4.jpg", 0.4, "dog"),
        record("5.jpg", 0.8, "dog"),
        record("6.jpg", 0.2, None),
        record("7.jpg", 0.2, "bird"),
    ]

    evaluation = evaluate_records(records, LABELS)

    expected = classification_summary([0, 0, 1, 1, 1], [0, 1, 1, 0, 1], LABELS)
    assert evaluation.summary == expected
    assert evaluation.summary["confusion_matrix"] == [[1, 1], [1, 2]]
    assert evaluation.cells == {(0, 0): [0], (0, 1): [1], (1, 1): [2, 4], (1, 0): [3]}
    assert evaluation.misclassified == [1, 3]


def test_evaluate_rejects_other_labels():
    other = ResultRecord(Path("x.jpg"), ("dog", "cat"), (0.5, 0.5), "cat")
    with pytest.raises(ValueError, match=r"x\.jpg has labels \['dog', 'cat'\], expected \['cat', 'dog'\]"):
        evaluate_records([other], LABELS)


def test_csv_rows_and_header(tmp_path):
    records = [record("a, b.jpg", 0.25, "cat"), record("c.jpg", 0.875)]
    target = tmp_path / "results.csv"

    assert write_results_csv(target, records, LABELS) == 2

    with open(target, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == csv_header(LABELS)
    assert rows[1] == [
        "/photos/a, b.jpg", "cat", "0.750000", "0.750000", "0.250000", "cat",
        "/models/classifier.onnx", "2026-12-04T20:51:11+00:00",
    ]
    assert rows[2][:6] == ["/photos/c.jpg", "dog", "0.875000", "0.125000", "0.875000", ""]
    assert [path.name for path in tmp_path.iterdir()] == ["results.csv"]


def test_csv_failure_keeps_earlier_file(tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("earlier export\n")
    bad = ResultRecord(Path("x.jpg"), ("dog", "cat"), (0.5, 0.5))

    with pytest.raises(ValueError):
        write_results_csv(target, [record("a.jpg", 0.5), bad], LABELS)

    assert target.read_text() == "earlier export\n"
    assert [path.name for path in tmp_path.iterdir()] == ["results.csv"]


def test_csv_missing_folder_raises(tmp_path):
    with pytest.raises(OSError):
        write_results_csv(tmp_path / "missing" / "results.csv", [record("a.jpg", 0.5)], LABELS)


def test_heatmap_alpha_follows_value_and_opacity():
    values = np.array([[0.0, 0.5], [1.0, 2.0]], dtype=np.float32)

    rgba = heatmap_rgba(values, 0.6, INFERNO)

    assert rgba.shape == (2, 2, 4)
    assert rgba.dtype == np.uint8
    assert rgba[..., 3].tolist() == [[0, 76], [153, 153]]  # 2.0 is clipped to 1
    assert rgba[1, 0, :3].tolist() == INFERNO[255].tolist()
    assert rgba[0, 0, :3].tolist() == INFERNO[0].tolist()


def test_heatmap_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"opacity must be between 0 and 1, got 1.5"):
        heatmap_rgba(np.zeros((2, 2)), 1.5)
    with pytest.raises(ValueError, match=r"\(height, width\), got \(2, 2, 2\)"):
        heatmap_rgba(np.zeros((2, 2, 2)), 0.5)


def test_positive_evidence_drops_negative_part():
    unit, peak = positive_evidence(np.array([[-3.0, 0.0], [1.0, 4.0]]))
    assert peak == 4.0
    assert unit.tolist() == [[0.0, 0.0], [0.25, 1.0]]

    unit, peak = positive_evidence(np.array([[-1.0, -2.0]]))
    assert peak == 0.0
    assert unit.tolist() == [[0.0, 0.0]]


def test_inferno_close_to_matplotlib():
    colormaps = pytest.importorskip("matplotlib").colormaps
    reference = colormaps["inferno"](np.arange(256))[:, :3] * 255
    difference = np.abs(INFERNO.astype(float) - reference)
    assert difference.max() <= 16
    assert difference.mean() <= 3
    assert VIRIDIS.shape == INFERNO.shape == (256, 3)
