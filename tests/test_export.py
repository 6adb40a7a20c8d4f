"""Export: a trained Keras model becomes an ONNX file the app can run, with the
same outputs, or nothing is written."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from desktop.core import model_format as fmt
from desktop.core.classifier import Classifier
from desktop.core.images import load_image

pytestmark = pytest.mark.slow


def test_export_graph_has_named_outputs(tiny_model):
    proto = onnx.load(tiny_model)
    outputs = [o.name for o in proto.graph.output]
    assert outputs == ["probabilities", "block1_act", "block2_act", "block3_act", "attribution", "novelty"]

    inputs = proto.graph.input
    assert [i.name for i in inputs] == [fmt.INPUT_NAME]
    dims = inputs[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == fmt.BATCH_DIMENSION
    assert [d.dim_value for d in dims[1:]] == [64, 64, 3]


def test_export_metadata(tiny_model):
    metadata = {p.key: p.value for p in onnx.load(tiny_model).metadata_props}
    assert metadata[fmt.META_FORMAT] == fmt.FORMAT_NAME
    assert json.loads(metadata[fmt.META_LABELS]) == ["cat", "dog"]
    assert json.loads(metadata[fmt.META_INPUT_SIZE]) == [64, 64]
    assert json.loads(metadata[fmt.META_FEATURE_MAPS]) == ["block1_act", "block2_act", "block3_act"]
    training = json.loads(metadata[fmt.META_TRAINING])
    assert training["seed"] == 3
    assert training["epochs"] == 1


def test_keras_onnx_parity_on_real_photos(tiny_run, tiny_model, photo_paths):
    """The Keras model on the training pipeline's tensor and the ONNX model on
    the app's tensor give the same outputs for real photos."""
    from desktop.core.datasets import list_labelled_files
    from training.data import decode_files
    from training.fit import make_dataset
    from training.export import load_keras_model

    classifier = Classifier.load(tiny_model)
    model = load_keras_model(tiny_run / "model.keras")

    # The training pipeline: decode_files + tf.data, as training.fit does.
    files = list_labelled_files(photo_paths["cat"][0].parent.parent, ["cat", "dog"])
    files = type(files)(files.labels, files.paths[:4] + files.paths[-4:], files.targets[:4] + files.targets[-4:])
    decoded = decode_files(files, (64, 64))
    images, _ = next(iter(make_dataset(decoded, batch_size=8, shuffle=False, seed=0)))
    keras_p = np.asarray(model(images, training=False))[:, 0]

    # The app's path: one file at a time through the ONNX classifier.
    onnx_p = np.array([classifier.classify_file(path).probabilities[1] for path in decoded.paths])

    assert keras_p.shape == (8,)
    assert np.max(np.abs(keras_p - onnx_p)) <= 1e-4


def test_feature_maps_shapes(tiny_model, photo_paths):
    classifier = Classifier.load(tiny_model)
    prediction = classifier.classify_file(photo_paths["dog"][0], feature_maps=True)
    shapes = {name: array.shape for name, array in prediction.feature_maps.items()}
    assert shapes == {"block1_act": (62, 62, 32), "block2_act": (29, 29, 32), "block3_act": (12, 12, 64)}
    assert all(array.min() >= 0 for array in prediction.feature_maps.values())  # after ReLU
    assert prediction.probabilities.sum() == pytest.approx(1.0, abs=1e-6)


def test_export_sequential_model(tmp_path, photo_paths):
    """tf2onnx's from_keras fails on Keras 3 Sequential models; export must not."""
    import keras

    from training.export import check_parity, export_model

    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, name="block1_conv"),
            keras.layers.ReLU(name="block1_act"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    proto, forward = export_model(model, ["a", "b", "c"], {})
    photos = np.stack([load_image(p, (32, 32)) for p in photo_paths["cat"][:3]])
    assert check_parity(proto, forward, photos) <= 1e-4
    # A GlobalAveragePooling2D head gets class activation maps.
    assert [o.name for o in proto.graph.output] == ["probabilities", "block1_act", "attribution"]


def test_failed_parity_keeps_previous_model(tiny_run, tmp_path, monkeypatch):
    from training import export

    output = tmp_path / "classifier.onnx"
    output.write_bytes(b"previous model")
    # Every difference, even 0, exceeds a negative tolerance.
    monkeypatch.setattr(export, "PARITY_TOLERANCE", -1.0)
    with pytest.raises(export.ExportError, match="differ"):
        export.export_run(tiny_run, output)
    assert output.read_bytes() == b"previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["classifier.onnx"]


def test_diverged_model_not_exported(tiny_run, tmp_path):
    """A run whose weights became NaN stops export, although NaN differences pass any tolerance."""
    import shutil

    import keras

    from training import export

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    model = keras.saving.load_model(run_dir / "model.keras", compile=False)
    kernel, bias = model.get_layer("predictions").get_weights()
    model.get_layer("predictions").set_weights([np.full_like(kernel, np.nan), bias])
    model.save(run_dir / "model.keras")

    output = tmp_path / "classifier.onnx"
    output.write_bytes(b"previous model")
    with pytest.raises(export.ExportError, match="probabilities output is not finite"):
        export.export_run(run_dir, output)
    assert output.read_bytes() == b"previous model"


def test_lambda_model_rejected(tmp_path):
    import keras

    from training.export import ExportError, load_keras_model

    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ExportError, match="Lambda"):
        load_keras_model(path)


def test_grad_cam_matches_gradient_tape(tiny_run, tiny_model, photo_paths):
    """The forward-only Grad-CAM in the graph equals Grad-CAM computed with a real gradient."""
    import keras
    import tensorflow as tf

    from training.export import load_keras_model

    model = load_keras_model(tiny_run / "model.keras")
    classifier = Classifier.load(tiny_model)
    photos = np.stack([load_image(p, (64, 64)) for p in photo_paths["dog"][:3]]).astype(np.float32)

    # The logit is the input of the sigmoid: rebuild it from the last layer's kernel.
    features_and_hidden = keras.Model(model.inputs[0], [model.get_layer("block3_act").output, model.layers[-1].input])
    kernel, bias = model.layers[-1].kernel, model.layers[-1].bias
    tail = keras.Model(model.get_layer("block3_pool").input, model.layers[-1].input)
    with tf.GradientTape() as tape:
        activations = features_and_hidden(photos, training=False)[0]
        tape.watch(activations)
        logit = tf.matmul(tail(activations, training=False), kernel) + bias
    gradient = tape.gradient(logit, activations).numpy()
    weights = gradient.mean(axis=(1, 2))  # Grad-CAM channel weights
    expected_dog = np.einsum("bhwk,bk->bhw", activations.numpy(), weights)

    predictions = classifier.predict(photos, attribution=True)
    maps = np.stack([p.attribution for p in predictions])
    assert maps.shape == (3, 12, 12, 2)
    assert np.max(np.abs(maps[..., 1] - expected_dog)) <= 1e-4
    assert np.allclose(maps[..., 0], -maps[..., 1])


def test_cam_mean_equals_logit(photo_paths):
    """For a global-average-pooling head, each class map averages to that class's logit."""
    import keras

    from training.export import export_model

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, name="block1_conv")(x)
    x = keras.layers.ReLU(name="block1_act")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    proto, forward = export_model(keras.Model(inputs, outputs), ["cat", "dog"], {})
    photos = np.stack([load_image(p, (32, 32)) for p in photo_paths["cat"][:2]]).astype(np.float32)
    probabilities, _, maps = [np.asarray(o) for o in forward(photos)]
    logits = np.log(probabilities[:, 1] / probabilities[:, 0])
    assert np.allclose(maps[..., 1].mean(axis=(1, 2)), logits, atol=1e-4)


def test_novelty_flags_unusual_images(tiny_model, photo_paths):
    classifier = Classifier.load(tiny_model)
    assert classifier.novelty_threshold is not None and classifier.novelty_threshold > 0
    photo = classifier.classify_file(photo_paths["cat"][0])
    assert photo.novelty is not None and photo.novelty >= 0
    noise = np.random.default_rng(0).integers(0, 256, (1, 64, 64, 3))
    assert classifier.predict(noise)[0].novelty > photo.novelty


def test_test_time_flip_averages_mirror(tiny_run, tiny_model, tmp_path, photo_paths):
    """With test-time flip, probabilities are the mean of the photo's and its mirror image's."""
    from training.export import export_run

    flipped_model = Classifier.load(export_run(tiny_run, tmp_path / "flip.onnx", test_time_flip=True))
    plain_model = Classifier.load(tiny_model)
    photos = np.stack([load_image(p, (64, 64)) for p in photo_paths["cat"][:4]])

    plain = np.stack([p.probabilities for p in plain_model.predict(photos)])
    mirrored = np.stack([p.probabilities for p in plain_model.predict(photos[:, :, ::-1])])
    averaged = np.stack([p.probabilities for p in flipped_model.predict(photos)])
    assert np.max(np.abs(averaged - (plain + mirrored) / 2)) <= 1e-5
    assert flipped_model.metadata["test_time_flip"] == "true"
    assert (tmp_path / "flip-report" / "report.md").is_file()


def test_failed_conversion_keeps_previous_model(tiny_run, tmp_path, monkeypatch):
    import tf2onnx

    from training import export

    def broken_conversion(*args, **kwargs):
        raise RuntimeError("forced conversion failure")

    output = tmp_path / "classifier.onnx"
    output.write_bytes(b"previous model")
    monkeypatch.setattr(tf2onnx.convert, "from_function", broken_conversion)
    with pytest.raises(export.ExportError, match="tf2onnx conversion failed: forced conversion failure"):
        export.export_run(tiny_run, output)
    assert output.read_bytes() == b"previous model"


def test_failed_write_keeps_previous_model(tiny_run, tmp_path, monkeypatch):
    """A failure at the rename leaves the old file and no temporary file behind."""
    from training import export

    output = tmp_path / "classifier.onnx"
    output.write_bytes(b"previous model")

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        export.export_run(tiny_run, output)
    assert output.read_bytes() == b"previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classifier.onnx"]
