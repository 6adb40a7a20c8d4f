"""`Classifier.load` on model files that are not usable classifiers.

The fake graphs are built with onnx.helper in each test. The valid one,
`classifier_graph()`, loads and classifies, so each broken variant fails for
the one defect it adds.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from desktop.core import model_format as fmt
from desktop.core.classifier import Classifier, ModelLoadError

INPUT_SIZE = (32, 24)  # height, width
LABELS = ["cat", "dog"]


def our_metadata(labels: list[str] = LABELS, feature_maps: list[str] | None = None) -> dict[str, str]:
    """The metadata `training.export` writes, for a graph of `INPUT_SIZE`."""
    return {
        fmt.META_FORMAT: fmt.FORMAT_NAME,
        fmt.META_FORMAT_VERSION: str(fmt.FORMAT_VERSION),
        fmt.META_LABELS: json.dumps(labels),
        fmt.META_INPUT_SIZE: json.dumps(list(INPUT_SIZE)),
        fmt.META_FEATURE_MAPS: json.dumps(feature_maps or []),
    }


def classifier_graph(
    metadata: dict[str, str] | None = None,
    n_classes: int = len(LABELS),
    input_type: int = TensorProto.FLOAT,
    output_name: str = fmt.PROBABILITIES_OUTPUT,
) -> onnx.ModelProto:
    """A minimal image classifier: mean colour, a linear layer, softmax."""
    height, width = INPUT_SIZE
    image = helper.make_tensor_value_info(fmt.INPUT_NAME, input_type, [fmt.BATCH_DIMENSION, height, width, 3])
    output = helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [fmt.BATCH_DIMENSION, n_classes])
    weights = helper.make_tensor(
        "weights", TensorProto.FLOAT, [3, n_classes], np.linspace(-1, 1, 3 * n_classes).tolist()
    )
    nodes = [
        helper.make_node("Cast", [fmt.INPUT_NAME], ["pixels"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", ["pixels"], ["mean_colour"], axes=[1, 2], keepdims=0),
        helper.make_node("MatMul", ["mean_colour", "weights"], ["logits"]),
        helper.make_node("Softmax", ["logits"], [output_name], axis=-1),
    ]
    graph = helper.make_graph(nodes, "fake-classifier", [image], [output], initializer=[weights])
    return with_metadata(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), metadata)


def with_metadata(model: onnx.ModelProto, metadata: dict[str, str] | None) -> onnx.ModelProto:
    del model.metadata_props[:]
    if metadata:
        helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    return model


def save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.save(model, path)
    return path


def assert_load_fails(path: Path, reason: str) -> ModelLoadError:
    with pytest.raises(ModelLoadError) as caught:
        Classifier.load(path)
    error = caught.value
    assert error.path == path
    assert str(error) == f"{path}: {error.reason}"
    assert reason in error.reason
    return error


def test_valid_fake_classifier_loads(tmp_path):
    """The control case: the fake graph with our metadata loads and returns probabilities."""
    path = save(classifier_graph(our_metadata()), tmp_path / "fake.onnx")

    classifier = Classifier.load(path)
    images = np.random.default_rng(0).integers(0, 256, (2, *INPUT_SIZE, 3)).astype(np.uint8)
    predictions = classifier.predict(images)

    assert classifier.labels == LABELS
    assert classifier.input_size == INPUT_SIZE
    assert len(predictions) == 2
    assert predictions[0].probabilities.shape == (2,)
    assert abs(float(predictions[0].probabilities.sum()) - 1) < 1e-6


def test_missing_file(tmp_path):
    assert_load_fails(tmp_path / "none.onnx", "model file not found")


def test_folder(tmp_path):
    path = tmp_path / "model.onnx"
    path.mkdir()
    assert_load_fails(path, "is a folder, not a model file")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    error = assert_load_fails(path, "model file is empty (0 bytes)")
    assert "python -m training.export" in error.reason


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.onnx"
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    error = assert_load_fails(path, "not a valid ONNX model (")
    assert "Protobuf parsing failed" in error.reason


def test_unreadable_file(model_path, tmp_path):
    """A model without read permission is rejected, except for root, whom permission bits do not stop."""
    path = tmp_path / "private.onnx"
    shutil.copy(model_path, path)
    path.chmod(0)
    try:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            assert Classifier.load(path).labels == ["cat", "dog"]
        else:
            assert_load_fails(path, "permission denied; check the file's read permission")
    finally:
        path.chmod(0o644)


def test_graph_not_an_image_classifier(tmp_path):
    """An ONNX graph that adds two vectors is rejected for its inputs, even with our metadata."""
    left = helper.make_tensor_value_info("left", TensorProto.FLOAT, [3])
    right = helper.make_tensor_value_info("right", TensorProto.FLOAT, [3])
    total = helper.make_tensor_value_info("total", TensorProto.FLOAT, [3])
    add = helper.make_node("Add", ["left", "right"], ["total"])
    graph = helper.make_graph([add], "add", [left, right], [total])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

    with_metadata_path = save(with_metadata(model, our_metadata()), tmp_path / "add-with-metadata.onnx")
    error = assert_load_fails(with_metadata_path, "expected one input named 'image'")
    assert "['left', 'right']" in error.reason

    bare_path = save(with_metadata(model, None), tmp_path / "add.onnx")
    assert_load_fails(bare_path, "not a cnn-lens classifier")


def test_classifier_without_metadata(tmp_path):
    path = save(classifier_graph(None), tmp_path / "bare.onnx")
    error = assert_load_fails(path, f"its metadata has no '{fmt.META_FORMAT}: {fmt.FORMAT_NAME}' entry")
    assert "python -m training.export" in error.reason


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({fmt.META_LABELS: "cat, dog"}, "invalid or missing model metadata"),
        ({fmt.META_INPUT_SIZE: "150"}, "invalid or missing model metadata"),
        ({fmt.META_LABELS: '["cat"]'}, "must list at least two class names"),
        ({fmt.META_LABELS: '["cat", "cat"]'}, "must not repeat a class name"),
        ({fmt.META_FEATURE_MAPS: '"block1_act"'}, "'feature_maps' must be a list of output names"),
        ({fmt.META_FEATURE_MAPS: '["block1_act"]'}, "outputs named in metadata are missing: ['block1_act']"),
        ({fmt.META_INPUT_SIZE: "[150, 150]"}, "does not match metadata input_size [150, 150]"),
    ],
)
def test_invalid_metadata(tmp_path, broken, reason):
    metadata = {**our_metadata(), **broken}
    path = save(classifier_graph(metadata), tmp_path / "broken.onnx")
    assert_load_fails(path, reason)


def test_metadata_without_labels(tmp_path):
    metadata = our_metadata()
    del metadata[fmt.META_LABELS]
    path = save(classifier_graph(metadata), tmp_path / "no-labels.onnx")
    error = assert_load_fails(path, "invalid or missing model metadata")
    assert "'labels'" in error.reason


def test_labels_do_not_match_output_size(tmp_path):
    path = save(classifier_graph(our_metadata(["cat", "dog", "bird"])), tmp_path / "three-labels.onnx")
    error = assert_load_fails(path, "metadata lists 3 labels")
    assert error.reason == "metadata lists 3 labels but the 'probabilities' output has 2 values"


def test_shipped_model_with_wrong_labels(model_path, tmp_path):
    """The shipped model with a third label written into its metadata is rejected."""
    model = onnx.load(model_path)
    for entry in model.metadata_props:
        if entry.key == fmt.META_LABELS:
            assert json.loads(entry.value) == ["cat", "dog"]
            entry.value = json.dumps(["cat", "dog", "fox"])
    path = save(model, tmp_path / "relabelled.onnx")

    error = assert_load_fails(path, "metadata lists 3 labels")
    assert error.reason == "metadata lists 3 labels but the 'probabilities' output has 2 values"
    assert Classifier.load(model_path).labels == ["cat", "dog"]


def test_integer_image_input(tmp_path):
    path = save(classifier_graph(our_metadata(), input_type=TensorProto.UINT8), tmp_path / "uint8.onnx")
    assert_load_fails(path, "input 'image' must be float32, got tensor(uint8)")


def test_no_probabilities_output(tmp_path):
    path = save(classifier_graph(our_metadata(), output_name="scores"), tmp_path / "scores.onnx")
    assert_load_fails(path, "no 'probabilities' output; outputs are ['scores']")


def test_scalar_probabilities_output(tmp_path):
    """Regression: a 'probabilities' output without a class axis raised IndexError, not ModelLoadError."""
    height, width = INPUT_SIZE
    image_shape = [fmt.BATCH_DIMENSION, height, width, 3]
    image = helper.make_tensor_value_info(fmt.INPUT_NAME, TensorProto.FLOAT, image_shape)
    output = helper.make_tensor_value_info(fmt.PROBABILITIES_OUTPUT, TensorProto.FLOAT, [])
    node = helper.make_node("ReduceMean", [fmt.INPUT_NAME], [fmt.PROBABILITIES_OUTPUT], keepdims=0)
    graph = helper.make_graph([node], "scalar", [image], [output])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = save(with_metadata(model, our_metadata()), tmp_path / "scalar.onnx")

    error = assert_load_fails(path, "output 'probabilities' must be float32 of shape (batch, classes)")
    assert error.reason.endswith("got tensor(float) of shape []")
