"""`python -m training.evaluate` through the ONNX model and the app's loader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import copy_photos
from desktop.core.classifier import Classifier
from desktop.core.metrics import classification_summary, confusion_matrix
from training.evaluate import evaluate_folder, main


def test_confusion_matrix_counts():
    matrix = confusion_matrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 2)
    assert matrix.tolist() == [[1, 1], [1, 2]]


def test_summary_precision_recall():
    summary = classification_summary([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], ["cat", "dog"])
    assert summary["accuracy"] == pytest.approx(3 / 5)
    assert summary["per_class"]["cat"] == {"precision": 0.5, "recall": 0.5, "support": 2}
    assert summary["per_class"]["dog"]["precision"] == pytest.approx(2 / 3)
    assert summary["per_class"]["dog"]["recall"] == pytest.approx(2 / 3)


@pytest.mark.slow
def test_evaluate_json_lists_skipped(tiny_model, data_dir, tmp_path, capsys):
    root = copy_photos(data_dir, tmp_path / "eval", per_class=5, split="validation")
    (root / "dog" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    assert main(["--data", str(root), "--model", str(tiny_model), "--json", "--report", str(tmp_path / "report")]) == 0

    result = json.loads(capsys.readouterr().out)
    assert result["n_images"] == 10
    assert result["labels"] == ["cat", "dog"]
    assert np.sum(result["confusion_matrix"]) == 10
    assert [s["path"].rsplit("/", 1)[1] for s in result["skipped"]] == ["broken.jpg"]

    # The same photos one by one through the classifier give the same accuracy.
    classifier = Classifier.load(tiny_model)
    correct = sum(
        classifier.classify_file(path).label == label
        for label in ("cat", "dog")
        for path in sorted((root / label).glob("*.jpg"))
        if path.name != "broken.jpg"
    )
    assert result["accuracy"] == pytest.approx(correct / 10)
    assert (tmp_path / "report" / "report.md").is_file()
    assert (tmp_path / "report" / "confusion_matrix.png").is_file()


def test_evaluate_missing_model(tmp_path, data_dir, capsys):
    assert main(["--data", str(data_dir / "validation"), "--model", str(tmp_path / "none.onnx")]) == 2
    assert "model file not found" in capsys.readouterr().err


def test_training_without_extra_explains(monkeypatch, capsys):
    """Without TensorFlow installed, training names the extra to install instead of a traceback."""
    import importlib.util

    from training.train import main as train_main

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *args: None if name == "keras" else real_find_spec(name, *args)
    )
    assert train_main(["--help"]) == 2
    error = capsys.readouterr().err
    assert "missing package(s): keras" in error
    assert "pip install -e '.[train]'" in error


def test_holdout_matches_training_split(data_dir, tmp_path, capsys):
    """`--holdout` picks the same photos as training's split, skipping the same broken file."""
    from desktop import DEFAULT_MODEL_PATH
    from training.data import load_split, split_holdout

    root = copy_photos(data_dir, tmp_path / "photos", per_class=10)
    (root / "cat" / "aaa-empty.jpg").write_bytes(b"")
    _, held_out = split_holdout(load_split(root, ["cat", "dog"], (32, 32), cache_dir=None), 0.3, 21)

    assert main(["--data", str(root), "--model", str(DEFAULT_MODEL_PATH), "--holdout", "0.3", "--seed", "21", "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    # The shipped model trained on all of train/ and records no held-out photos.
    assert "records no photos held out of its training" in captured.err
    assert result["n_images"] == len(held_out) == 6
    assert result["holdout"] == {"fraction": 0.3, "seed": 21}
    assert [s["path"].rsplit("/", 1)[1] for s in result["skipped"]] == ["aaa-empty.jpg"]

    summary, _, paths, _, _ = evaluate_folder(Classifier.load(DEFAULT_MODEL_PATH), root, holdout=(0.3, 21))
    assert sorted(paths) == sorted(held_out.paths)
    assert summary["accuracy"] == result["accuracy"]

    assert main(["--data", str(root), "--holdout", "1.5"]) == 2
    assert "--holdout must be above 0 and below 1, got 1.5" in capsys.readouterr().err
    assert main(["--data", str(root), "--seed", "21"]) == 2
    assert "needs --holdout" in capsys.readouterr().err
