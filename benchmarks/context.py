"""Resources shared by the figures: run sizes, the photos, the model and its Keras twin."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "cats-vs-dogs"
DATA_SPLITS = ("train", "validation")

# Size of the synthetic camera photo, in pixels: 12 megapixels, 4:3.
LARGE_PHOTO_SIZE = (4000, 3000)


@dataclass(frozen=True)
class RunSizes:
    """How many rounds, calls and photos each figure uses.

    The quick sizes only prove that every figure runs, in well under a
    minute. The full sizes give the recorded figures in several minutes.
    """

    rounds: int
    model_calls: int  # ONNX Runtime calls per round (Keras, being slower, gets fewer)
    photo_sample: int  # shared photos per round in the photo-to-result figure
    large_photo_calls: int
    batch_photos: int | None  # None: every shared photo
    batch_rounds: int
    startup_rounds: int
    memory_counts: tuple[int, int]  # (baseline, ours) photo counts
    memory_rounds: int
    render_calls: int


QUICK = RunSizes(
    rounds=2, model_calls=5, photo_sample=8, large_photo_calls=2, batch_photos=48,
    batch_rounds=1, startup_rounds=2, memory_counts=(5, 50), memory_rounds=1, render_calls=5,
)
FULL = RunSizes(
    rounds=7, model_calls=20, photo_sample=50, large_photo_calls=5, batch_photos=None,
    batch_rounds=3, startup_rounds=7, memory_counts=(1_000, 10_000), memory_rounds=3, render_calls=20,
)


class Context:
    """Resources built once and shared by the figures; call `close` when done."""

    def __init__(self, model_path: Path, data_dir: Path, sizes: RunSizes):
        self.model_path = model_path
        self.data_dir = data_dir
        self.sizes = sizes
        self._temporary = tempfile.TemporaryDirectory(prefix="cnn-lens-bench-")
        self.temp_dir = Path(self._temporary.name)

    def close(self) -> None:
        self._temporary.cleanup()

    @cached_property
    def classifier(self):
        """The model loaded the way the app loads it, with default session options."""
        from desktop.core.classifier import Classifier

        return Classifier.load(self.model_path)

    @cached_property
    def photos(self) -> list[Path]:
        """Every shared photo, train then validation, sorted within each class folder.

        Raises:
            FileNotFoundError: a split folder is missing or contains no image.
        """
        from desktop.core.datasets import find_image_files

        folders = [self.data_dir / split for split in DATA_SPLITS]
        missing = [str(folder) for folder in folders if not folder.is_dir()]
        if missing:
            raise FileNotFoundError(
                f"photo folders not found: {', '.join(missing)}; set CNN_LENS_DATA to a folder "
                "with train/ and validation/ sub-folders of class folders"
            )
        paths, _ = find_image_files(folders)
        if not paths:
            raise FileNotFoundError(f"no image files under {self.data_dir}")
        return paths

    def photo_sample(self, count: int) -> list[Path]:
        """Return `count` photos spread evenly over the whole set."""
        photos = self.photos
        step = max(1, len(photos) // count)
        return photos[::step][:count]

    @cached_property
    def model_input(self) -> np.ndarray:
        """One real photo as a (1, height, width, 3) float32 batch of 0-255 values."""
        from desktop.core.images import load_image

        image = load_image(self.photos[0], self.classifier.input_size)
        return image[np.newaxis].astype(np.float32)

    @cached_property
    def large_photo(self) -> Path:
        """A 12-megapixel JPEG made by upscaling a real photo, in the temporary folder."""
        from PIL import Image

        path = self.temp_dir / "large-photo.jpg"
        with Image.open(self.photos[0]) as source:
            large = source.convert("RGB").resize(LARGE_PHOTO_SIZE, Image.Resampling.BICUBIC)
        # Quality 90 with 4:2:0 chroma subsampling, as many cameras write.
        large.save(path, "JPEG", quality=90, subsampling=2)
        return path

    @cached_property
    def keras_model(self):
        """The exported architecture rebuilt in Keras with fresh weights.

        Timing does not depend on the weights, and the run folder that has
        the trained Keras model is not part of a clone, so the model is built
        from the ONNX metadata: architecture name, input size and labels.

        Raises:
            ValueError: the metadata names no architecture, or one that
                `training.architectures` does not know.
        """
        from training.architectures import build_model

        classifier = self.classifier
        architecture = self.architecture
        if not architecture:
            raise ValueError(f"{self.model_path} metadata names no architecture to rebuild in Keras")
        return build_model(architecture, classifier.input_size, len(classifier.labels), seed=0)

    @property
    def architecture(self) -> str:
        """The preset named in the model's metadata, or an empty string."""
        from desktop.core import model_format as fmt

        metadata = self.classifier.metadata
        name = metadata.get(fmt.META_ARCHITECTURE, "")
        if not name:
            name = self.classifier.training_info.get("architecture", "")
        return name

    @property
    def test_time_flip(self) -> bool:
        """Whether the exported probabilities average each photo and its mirror image."""
        from desktop.core import model_format as fmt

        return self.classifier.metadata.get(fmt.META_TEST_TIME_FLIP, "false") == "true"

    @cached_property
    def keras_scaled_models(self) -> list:
        """The Keras model rebuilt at each other size whose probabilities the export averages in."""
        import json

        import keras

        from desktop.core import model_format as fmt
        from training.architectures import resize_input

        sizes = json.loads(self.classifier.metadata.get(fmt.META_TEST_TIME_SIZES, "[]"))
        models = []
        for height, width in sizes:
            resized = resize_input(self.keras_model, self.architecture, (height, width))
            # A functional model needs a distinct name for each model it calls.
            models.append(keras.Model(resized.inputs[0], resized.outputs[0], name=f"{resized.name}_{height}x{width}"))
        return models

    @cached_property
    def keras_forward(self):
        """The function that export converted to ONNX, run eagerly on the rebuilt Keras model.

        It returns the probabilities (averaged over the mirror image and
        other sizes when the export did that), every feature map and the
        attribution maps.
        It lacks the novelty output, which needs statistics of the training
        photos that only the run folder has.
        """
        from training.export import build_forward

        forward, _, _ = build_forward(
            self.keras_model, self.classifier.labels, None, self.test_time_flip, self.keras_scaled_models
        )
        return forward

    def keras_predict_model(self, feature_maps: bool):
        """Build a Keras model for `Model.predict` with the export's probabilities, and every feature map if asked.

        The probabilities average the same test-time views as the export's
        (mirror image, other sizes), so Keras runs the same convolutions as
        the ONNX graph.
        """
        import keras

        from training.architectures import feature_layer_names
        from training.export import average_views

        model = self.keras_model
        names = feature_layer_names(model)
        view = keras.Model(model.inputs[0], [model.outputs[0]] + [model.get_layer(name).output for name in names])
        images = keras.Input(shape=model.inputs[0].shape[1:], name="image")
        outputs = view(images)
        probabilities = average_views(images, outputs[0], model, self.keras_scaled_models, self.test_time_flip)
        return keras.Model(images, [probabilities] + (list(outputs[1:]) if feature_maps else []))

    def model_summary(self) -> dict:
        """Facts about the model for the JSON report."""
        from desktop.core import model_format as fmt

        classifier = self.classifier
        parameters = classifier.metadata.get(fmt.META_PARAMETERS, "")
        return {
            "path": str(self.model_path),
            "architecture": self.architecture,
            "input_size": list(classifier.input_size),
            "labels": classifier.labels,
            "feature_maps": classifier.feature_map_names,
            "parameters": int(parameters) if parameters.isdigit() else None,
            "training_run": classifier.training_info.get("run"),
            "size_bytes": self.model_path.stat().st_size,
        }


def data_dir_from_environment() -> Path:
    """Return the photo folder: CNN_LENS_DATA, or `../shared/data/cats-vs-dogs` beside the repository."""
    return Path(os.environ.get("CNN_LENS_DATA", DEFAULT_DATA_DIR))


def subprocess_environment() -> dict[str, str]:
    """Build the environment for child processes: the repository importable, Qt headless unless a display is set."""
    environment = dict(os.environ)
    python_path = environment.get("PYTHONPATH", "")
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), python_path]))
    if not any(environment.get(name) for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")):
        environment["QT_QPA_PLATFORM"] = "offscreen"
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return environment


def error_summary(stderr: str) -> str:
    """Pick the line of a child's stderr that gives the reason it failed.

    A Python traceback ends with the exception, but after a fatal error
    (an abort in a C extension) the reason comes first, followed by thread
    stacks and the list of loaded extension modules.
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Fatal Python error"):
            return line
    return lines[-1] if lines else "no error output"
