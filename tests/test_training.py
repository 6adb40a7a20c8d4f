"""Training on real photos: data hygiene, hold-out split, three classes,
mixup, resume after an interruption, reproducibility."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat

import numpy as np
import pytest
from PIL import Image

from conftest import copy_photos
from training.data import DataError, decode_files, find_splits, load_split
from desktop.core.datasets import list_labelled_files

pytestmark = pytest.mark.slow


def _train(data, output, *extra):
    from training.train import main

    return main([
        "--data", str(data), "--epochs", "1", "--image-size", "48", "--batch-size", "8",
        "--architecture", "tutorial", "--output", str(output), "--no-cache", *extra,
    ])


def test_tiny_run_files(tiny_run):
    for name in ("model.keras", "labels.json", "history.json", "run.json", "report.md", "history.png", "confusion_matrix.png"):
        assert (tiny_run / name).is_file(), name
    assert json.loads((tiny_run / "labels.json").read_text()) == ["cat", "dog"]
    history = json.loads((tiny_run / "history.json").read_text())
    assert history["epochs_run"] == 1
    assert len(history["history"]["val_accuracy"]) == 1
    assert json.loads((tiny_run / "run.json").read_text())["seed"] == 3


def test_dirty_folder_skips_bad_files(data_dir, tmp_path, caplog):
    root = copy_photos(data_dir, tmp_path / "dirty", per_class=3)
    good = sorted((root / "cat").iterdir())[0]
    (root / "cat" / "empty.jpg").write_bytes(b"")
    (root / "cat" / "truncated.jpg").write_bytes(good.read_bytes()[:1500])
    (root / "cat" / "notes.jpg").write_text("this is text")
    Image.open(good).save(root / "dog" / "png-inside.jpg", format="PNG")
    Image.open(good).save(root / "dog" / "gif-inside.jpg", format="GIF")
    (root / "dog" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "dog" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / "dog" / "._dog.1.jpg").write_bytes(b"\0\5\26\7")

    with caplog.at_level(logging.WARNING):
        decoded = load_split(root, ["cat", "dog"], (48, 48), cache_dir=None)

    assert len(decoded) == 3 + 5  # 3 good cats; 3 dogs + the PNG and GIF under .jpg names
    assert sorted(p.rsplit("/", 1)[1] for p, _ in decoded.skipped) == ["empty.jpg", "notes.jpg", "truncated.jpg"]
    warning = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "Skipped 3 unreadable file(s)" in warning
    assert "empty.jpg: file is empty" in warning
    assert "truncated.jpg: truncated" in warning
    assert ".DS_Store" not in warning


def test_class_without_photos_stops(data_dir, tmp_path):
    root = copy_photos(data_dir, tmp_path / "data", per_class=2)
    for path in (root / "dog").iterdir():
        path.unlink()
    (root / "dog" / "broken.jpg").write_bytes(b"")
    with pytest.raises(DataError, match=r"no usable photo in class folder\(s\) \['dog'\]"):
        load_split(root, ["cat", "dog"], (48, 48), cache_dir=None)


def test_single_class_stops(data_dir, tmp_path, capsys):
    root = copy_photos(data_dir, tmp_path / "data", per_class=2)
    shutil.rmtree(root / "dog")
    assert _train(root, tmp_path / "run") == 2
    assert "needs at least two" in capsys.readouterr().err


def test_holdout_without_validation_folder(data_dir, tmp_path, capsys):
    from training.evaluate import main as evaluate
    from training.export import export_run

    root = copy_photos(data_dir, tmp_path / "data", per_class=10)
    assert find_splits(root) == (root, None)
    assert _train(root, tmp_path / "run", "--validation-split", "0.2") == 0
    report = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert report["n_images"] == 4  # 2 of each class held out

    # The exported model records its held-out photos, which evaluate --holdout checks.
    model = export_run(tmp_path / "run", tmp_path / "model.onnx")
    capsys.readouterr()
    assert evaluate(["--data", str(root), "--model", str(model), "--holdout", "0.2", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["n_images"] == 4
    assert "warning" not in captured.err
    assert evaluate(["--data", str(root), "--model", str(model), "--holdout", "0.2", "--seed", "5"]) == 0
    assert "may be training photos" in capsys.readouterr().err


def test_decode_cache_reused(data_dir, tmp_path):
    root = copy_photos(data_dir, tmp_path / "data", per_class=2)
    files = list_labelled_files(root)
    first = decode_files(files, (48, 48), cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    second = decode_files(files, (48, 48), cache_dir=tmp_path / "cache")
    assert np.array_equal(first.images, second.images)
    assert second.paths == first.paths

    # Touching a photo changes the key, so the cache is not used.
    Image.open(files.paths[0]).save(files.paths[0], format="JPEG", quality=50)
    decode_files(files, (48, 48), cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_three_classes_train_export_classify(data_dir, tmp_path):
    from desktop.core.classifier import Classifier
    from training.export import export_run

    root = tmp_path / "data"
    copy_photos(data_dir, root / "train", per_class=6)
    copy_photos(data_dir, root / "validation", per_class=2, split="validation")
    # A third class: photos turned to grayscale, which the loader reads as RGB.
    (root / "train" / "gray").mkdir()
    (root / "validation" / "gray").mkdir()
    for split, count in (("train", 6), ("validation", 2)):
        for path in sorted((data_dir / split / "dog").glob("*.jpg"))[20:20 + count]:
            Image.open(path).convert("L").save(root / split / "gray" / path.name)

    # With mixup, which blends the one-hot targets of a softmax model.
    assert _train(root, tmp_path / "run", "--mixup", "0.4") == 0
    assert json.loads((tmp_path / "run" / "run.json").read_text())["mixup"] == 0.4
    accuracy = json.loads((tmp_path / "run" / "history.json").read_text())["history"]["accuracy"][0]
    assert 0.0 <= accuracy <= 1.0
    output = export_run(tmp_path / "run", tmp_path / "three.onnx")
    classifier = Classifier.load(output)
    assert classifier.labels == ["cat", "dog", "gray"]
    prediction = classifier.classify_file(next((root / "validation" / "gray").iterdir()), feature_maps=True)
    assert prediction.probabilities.shape == (3,)
    assert prediction.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert len(prediction.feature_maps) == 3


def test_resume_after_interrupt(data_dir, tmp_path, monkeypatch):
    """An interrupted run resumes from its last finished epoch and ends with every epoch logged."""
    import keras

    from training.train import main

    root = copy_photos(data_dir, tmp_path / "data", per_class=8)
    run_dir = tmp_path / "run"
    real_on_epoch_end = keras.callbacks.CSVLogger.on_epoch_end

    def interrupt_after_second_epoch(self, epoch, logs=None):
        real_on_epoch_end(self, epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(keras.callbacks.CSVLogger, "on_epoch_end", interrupt_after_second_epoch)
    assert _train(root, run_dir, "--epochs", "4") == 130
    assert not (run_dir / "model.keras").exists()
    monkeypatch.setattr(keras.callbacks.CSVLogger, "on_epoch_end", real_on_epoch_end)

    assert main(["--resume", str(run_dir)]) == 0
    history = json.loads((run_dir / "history.json").read_text())
    assert history["epochs_run"] == 4
    assert len(history["history"]["loss"]) == 4
    assert (run_dir / "model.keras").is_file()


def test_same_seed_same_result(data_dir, tmp_path):
    root = copy_photos(data_dir, tmp_path / "data", per_class=8)
    histories = []
    for name in ("first", "second"):
        assert _train(root, tmp_path / name, "--epochs", "2", "--seed", "11") == 0
        histories.append(json.loads((tmp_path / name / "history.json").read_text())["history"])
    assert histories[0]["val_accuracy"] == histories[1]["val_accuracy"]
    assert np.allclose(histories[0]["loss"], histories[1]["loss"], atol=1e-5)


def test_compact_exports_at_larger_size(data_dir, tmp_path, tiny_run):
    """A compact model, which ends in global pooling, exports at 1.25 times its training size; the tutorial CNN cannot."""
    from desktop.core.classifier import Classifier
    from training.export import ExportError, export_run

    root = tmp_path / "data"
    copy_photos(data_dir, root / "train", per_class=8)
    copy_photos(data_dir, root / "validation", per_class=2, split="validation")
    assert _train(root, tmp_path / "run", "--architecture", "compact", "--image-size", "32") == 0

    # export_run checks the ONNX graph against the resized Keras model on real photos.
    classifier = Classifier.load(export_run(tmp_path / "run", tmp_path / "compact.onnx"))
    assert classifier.input_size == (40, 40)
    # Readable as a plain write would leave it, not only by its owner.
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "compact.onnx").stat().st_mode) == 0o666 & ~umask
    assert json.loads(classifier.metadata["training"])["image_size"] == 32
    prediction = classifier.classify_file(next((root / "validation" / "dog").iterdir()), feature_maps=True)
    # The stem halves the input and each of the first three blocks pools by 2.
    assert prediction.feature_maps["block1_act"].shape == (20, 20, 32)

    with pytest.raises(ExportError, match="--image-size 64"):
        export_run(tiny_run, tmp_path / "tutorial.onnx", image_size=80)
    with pytest.raises(ExportError, match="no --test-time-sizes"):
        export_run(tiny_run, tmp_path / "tutorial.onnx", extra_sizes=[48])
    assert not (tmp_path / "tutorial.onnx").exists()


def test_export_averages_resized_views(data_dir, tmp_path):
    """Probabilities of an export with test-time sizes are the mean over the photo at each size, and mirrored."""
    import keras

    from desktop.core.classifier import Classifier
    from desktop.core.images import load_image
    from training.architectures import RECIPES
    from training.export import export_run, main as export_main

    root = tmp_path / "data"
    copy_photos(data_dir, root / "train", per_class=8)
    copy_photos(data_dir, root / "validation", per_class=2, split="validation")
    run = tmp_path / "run"
    assert _train(root, run, "--architecture", "compact", "--image-size", "32", "--seed", "5") == 0

    default = Classifier.load(export_run(run, tmp_path / "default.onnx"))
    expected_sizes = [[round(32 * scale)] * 2 for scale in RECIPES["compact"].test_time_scales if round(32 * scale) != 40]
    assert json.loads(default.metadata["test_time_sizes"]) == expected_sizes

    averaged = Classifier.load(export_run(run, tmp_path / "averaged.onnx", extra_sizes=[32, 24]))
    assert json.loads(averaged.metadata["test_time_sizes"]) == [[32, 32], [24, 24]]
    single = {size: Classifier.load(export_run(run, tmp_path / f"at-{size}.onnx", image_size=size, extra_sizes=[])) for size in (40, 32, 24)}
    assert json.loads(single[40].metadata["test_time_sizes"]) == []

    photos = np.stack([load_image(path, (40, 40)) for path in sorted((root / "validation").rglob("*.jpg"))])
    expected = []
    for size, classifier in single.items():
        # The graph resizes bilinearly without antialiasing, as Keras' resize does.
        resized = np.asarray(keras.ops.image.resize(photos.astype(np.float32), (size, size), interpolation="bilinear"))
        # Each export already averages its photo with the mirror image.
        expected.append(np.stack([p.probabilities for p in classifier.predict(resized)]))
    got = np.stack([p.probabilities for p in averaged.predict(photos)])
    assert np.max(np.abs(got - np.mean(expected, axis=0))) <= 1e-5
    # The views differ by ten times the tolerance above, so that check distinguishes the average from any one view.
    assert np.max(np.abs(expected[0] - expected[2])) > 1e-4
    # Feature maps still come from the photo at the input size.
    assert averaged.predict(photos[:1], feature_maps=True)[0].feature_maps["block1_act"].shape == (20, 20, 32)

    with pytest.raises(SystemExit):
        export_main(["--run", str(run), "--test-time-sizes", "8", "--output", str(tmp_path / "bad.onnx")])
    assert not (tmp_path / "bad.onnx").exists()


def test_mixup_blends_photos_of_one_batch(data_dir, tmp_path):
    """Each mixed photo is a blend of two photos of its batch, weighted as its target gives."""
    from training.fit import make_dataset

    root = copy_photos(data_dir, tmp_path / "data", per_class=6)
    decoded = load_split(root, ["cat", "dog"], (32, 32), cache_dir=None)
    plain = decoded.images.astype(np.float32)

    def batches(seed):
        dataset = make_dataset(decoded, batch_size=len(decoded), shuffle=False, seed=seed, mixup=0.4)
        return [(images.numpy(), targets.numpy()[:, 0]) for images, targets in dataset]

    (images, targets), = batches(5)
    (again, _), = batches(5)
    assert np.array_equal(images, again)
    assert np.all((targets >= 0) & (targets <= 1))
    blended = 0
    for index, (image, target) in enumerate(zip(images, targets)):
        label = decoded.targets[index]
        weight = target if label == 1 else 1 - target  # this photo's share
        if weight > 0.999:
            continue  # a partner of the same label leaves the target as it was
        others = plain[decoded.targets != label]
        residual = min(np.abs(weight * plain[index] + (1 - weight) * other - image).max() for other in others)
        assert residual < 0.5, index
        blended += 1
    assert blended >= 2


def test_dominant_label_accuracy():
    from training.architectures import dominant_label_accuracy

    truth = np.array([[0.9], [0.1], [0.6], [0.0]], dtype=np.float32)
    predicted = np.array([[0.8], [0.3], [0.2], [0.7]], dtype=np.float32)
    assert np.asarray(dominant_label_accuracy(truth, predicted)).ravel().tolist() == [1.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("value", ["-0.1", "nan", "inf"])
def test_invalid_mixup_rejected(value, capsys):
    from training.train import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--data", "x", "--mixup", value])
    assert "--mixup must be a finite number, 0 or more" in capsys.readouterr().err
