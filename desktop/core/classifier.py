"""Run an exported classifier with ONNX Runtime.

`Classifier.load` checks that a file is a model of this project's format
(see `model_format`) and raises `ModelLoadError` with the reason otherwise.
No Qt and no TensorFlow here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort

from desktop.core import model_format as fmt
from desktop.core.images import load_image


class ModelLoadError(Exception):
    """A model file that cannot be used, with the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass
class Prediction:
    """The model's prediction for one image.

    `probabilities` has one value per label, in the model's label order, and
    sums to 1. `feature_maps` maps each conv block's output name to its
    activations of shape (height, width, channels); it is empty unless
    requested. `attribution` is (height, width, n_classes), signed, positive
    where the region is evidence for the class; None unless requested or when
    the model lacks it. `novelty` is the distance of the photo's features from
    the training photos' (None when the model lacks it).
    """

    labels: list[str]
    probabilities: np.ndarray
    feature_maps: dict[str, np.ndarray] = field(default_factory=dict)
    attribution: np.ndarray | None = None
    novelty: float | None = None

    @property
    def index(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def label(self) -> str:
        return self.labels[self.index]

    @property
    def confidence(self) -> float:
        """Probability of the predicted label, 0 to 1."""
        return float(self.probabilities[self.index])


class Classifier:
    """An ONNX image classifier with its labels, input size and feature-map outputs."""

    def __init__(self, session: ort.InferenceSession, path: Path, metadata: dict[str, str]):
        self.session = session
        self.path = path
        self.metadata = metadata
        self.labels: list[str] = json.loads(metadata[fmt.META_LABELS])
        height, width = json.loads(metadata[fmt.META_INPUT_SIZE])
        self.input_size: tuple[int, int] = (int(height), int(width))
        self.feature_map_names: list[str] = json.loads(metadata[fmt.META_FEATURE_MAPS])
        outputs = {output.name for output in session.get_outputs()}
        self.has_attribution = fmt.ATTRIBUTION_OUTPUT in outputs
        self.has_novelty = fmt.NOVELTY_OUTPUT in outputs
        self.novelty_threshold: float | None = None
        if self.has_novelty:
            try:
                self.novelty_threshold = float(json.loads(metadata.get(fmt.META_NOVELTY, "{}"))["threshold"])
            except (ValueError, KeyError, TypeError):
                self.has_novelty = False

    @classmethod
    def load(cls, path: str | os.PathLike, threads: int = 0) -> "Classifier":
        """Open a model file and check it against the project's format.

        Args:
            path: an ONNX file written by `python -m training.export`.
            threads: ONNX Runtime intra-op threads; 0 lets it choose.

        Raises:
            ModelLoadError: the file is missing, is not an ONNX model, lacks
                this project's metadata, or its outputs do not match it.
        """
        path = Path(path)
        _check_model_file(path)

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # Idle worker threads sleep instead of spinning, because spinning
        # threads compete with the UI and decoding threads for the cores. On
        # 2 cores this halved the time of one photo with every output (22.6 to
        # 11.1 ms, compact model, measured side by side with benchmarks/).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # ONNX Runtime raises its own unexported types.
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise ModelLoadError(
                path,
                f"not a valid ONNX model ({first_line[:200]}); choose a .onnx file written by python -m training.export",
            ) from None

        metadata = dict(session.get_modelmeta().custom_metadata_map)
        _check_metadata(path, session, metadata)
        return cls(session, path, metadata)

    @property
    def training_info(self) -> dict:
        """What export stored about the training run (may be empty)."""
        try:
            return json.loads(self.metadata.get(fmt.META_TRAINING, "{}"))
        except json.JSONDecodeError:
            return {}

    def predict(
        self, images: np.ndarray, feature_maps: bool = False, attribution: bool = False
    ) -> list[Prediction]:
        """Classify a batch of images.

        Args:
            images: (batch, height, width, 3) RGB values 0 to 255, uint8 or
                float32, at the model's input size.
            feature_maps: also return every conv block's activations.
            attribution: also return the attribution maps, if the model has them.

        Returns:
            One `Prediction` per image, in order.
        """
        images = np.asarray(images)
        expected = (*self.input_size, 3)
        if images.ndim != 4 or images.shape[1:] != expected:
            raise ValueError(
                f"images must have shape (batch, {expected[0]}, {expected[1]}, 3), "
                f"got {images.shape}"
            )

        output_names = [fmt.PROBABILITIES_OUTPUT]
        if feature_maps:
            output_names += self.feature_map_names
        if attribution and self.has_attribution:
            output_names.append(fmt.ATTRIBUTION_OUTPUT)
        if self.has_novelty:
            output_names.append(fmt.NOVELTY_OUTPUT)
        values = self.session.run(output_names, {fmt.INPUT_NAME: images.astype(np.float32, copy=False)})
        outputs = dict(zip(output_names, values))

        predictions = []
        for row in range(images.shape[0]):
            maps = {name: outputs[name][row] for name in self.feature_map_names} if feature_maps else {}
            predictions.append(
                Prediction(
                    self.labels,
                    outputs[fmt.PROBABILITIES_OUTPUT][row],
                    maps,
                    attribution=outputs[fmt.ATTRIBUTION_OUTPUT][row] if fmt.ATTRIBUTION_OUTPUT in outputs else None,
                    novelty=float(outputs[fmt.NOVELTY_OUTPUT][row]) if fmt.NOVELTY_OUTPUT in outputs else None,
                )
            )
        return predictions

    def classify_file(
        self, path: str | os.PathLike, feature_maps: bool = False, attribution: bool = False
    ) -> Prediction:
        """Load one photo with the shared loader and classify it.

        Raises:
            ImageLoadError: the file cannot be decoded.
        """
        image = load_image(path, self.input_size)
        return self.predict(image[np.newaxis], feature_maps=feature_maps, attribution=attribution)[0]


def _check_model_file(path: Path) -> None:
    if path.is_dir():
        raise ModelLoadError(path, "is a folder, not a model file; pass --model with an .onnx file")
    if not path.is_file():
        raise ModelLoadError(path, "model file not found; check the path, or export a model with python -m training.export")

    # Reading one byte separates a permission problem from a file that ONNX
    # Runtime cannot parse, which it reports in the same way.
    try:
        with open(path, "rb") as stream:
            first_byte = stream.read(1)
    except PermissionError:
        raise ModelLoadError(path, "permission denied; check the file's read permission") from None
    except OSError as error:
        raise ModelLoadError(path, f"cannot read model file ({error.strerror or error})") from None
    if not first_byte:
        raise ModelLoadError(path, "model file is empty (0 bytes); export one with python -m training.export")


def _check_metadata(path: Path, session: ort.InferenceSession, metadata: dict[str, str]) -> None:
    if metadata.get(fmt.META_FORMAT) != fmt.FORMAT_NAME:
        raise ModelLoadError(
            path,
            "not a cnn-lens classifier (its metadata has no "
            f"'{fmt.META_FORMAT}: {fmt.FORMAT_NAME}' entry); export one with python -m training.export",
        )

    try:
        labels = json.loads(metadata[fmt.META_LABELS])
        height, width = json.loads(metadata[fmt.META_INPUT_SIZE])
        feature_maps = json.loads(metadata[fmt.META_FEATURE_MAPS])
    except (KeyError, ValueError, TypeError) as error:
        raise ModelLoadError(path, f"invalid or missing model metadata ({error})") from None
    if not (isinstance(labels, list) and len(labels) >= 2 and all(isinstance(x, str) for x in labels)):
        raise ModelLoadError(path, f"metadata 'labels' must list at least two class names, got {labels!r}")
    if len(set(labels)) != len(labels):
        raise ModelLoadError(path, f"metadata 'labels' must not repeat a class name, got {labels!r}")
    if not (isinstance(feature_maps, list) and all(isinstance(x, str) for x in feature_maps)):
        raise ModelLoadError(
            path, f"metadata 'feature_maps' must be a list of output names, got {feature_maps!r}"
        )

    inputs = session.get_inputs()
    if len(inputs) != 1 or inputs[0].name != fmt.INPUT_NAME:
        raise ModelLoadError(
            path, f"expected one input named '{fmt.INPUT_NAME}', got {[i.name for i in inputs]}"
        )
    if inputs[0].type != "tensor(float)":
        raise ModelLoadError(path, f"input '{fmt.INPUT_NAME}' must be float32, got {inputs[0].type}")
    input_shape = inputs[0].shape
    if len(input_shape) != 4 or list(input_shape[1:]) != [height, width, 3]:
        raise ModelLoadError(
            path, f"input shape {input_shape} does not match metadata input_size {[height, width]}"
        )

    outputs = {o.name: o for o in session.get_outputs()}
    if fmt.PROBABILITIES_OUTPUT not in outputs:
        raise ModelLoadError(path, f"no '{fmt.PROBABILITIES_OUTPUT}' output; outputs are {sorted(outputs)}")
    probabilities = outputs[fmt.PROBABILITIES_OUTPUT]
    # ONNX Runtime reports an output of unknown rank with the shape [], as for a scalar.
    if len(probabilities.shape) != 2 or probabilities.type != "tensor(float)":
        raise ModelLoadError(
            path,
            f"output '{fmt.PROBABILITIES_OUTPUT}' must be float32 of shape (batch, classes), "
            f"got {probabilities.type} of shape {probabilities.shape}",
        )
    n_outputs = probabilities.shape[-1]
    if isinstance(n_outputs, int) and n_outputs != len(labels):
        raise ModelLoadError(
            path,
            f"metadata lists {len(labels)} labels but the '{fmt.PROBABILITIES_OUTPUT}' "
            f"output has {n_outputs} values",
        )
    missing = [name for name in feature_maps if name not in outputs]
    if missing:
        raise ModelLoadError(path, f"feature-map outputs named in metadata are missing: {missing}")
