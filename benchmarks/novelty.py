"""Measure how well the novelty flag separates cats and dogs from other photos.

    python -m benchmarks.novelty [--model PATH] [--data DIR]

In-distribution: every photo under DIR/<label>/ (default: the validation
photos). Out-of-distribution: the sample photos that scikit-image and
scikit-learn ship (astronaut, coffee, rocket, a Chinese temple, a flower and
others; scikit-image's cat photo `chelsea` is left out because it is a cat),
and, as a separate group, the 200 small face crops of scikit-image's
`lfw_subset`. Prints the area under the ROC curve of the novelty score and
the share of each group the model's threshold flags.

Needs scikit-image and scikit-learn (`pip install scikit-image scikit-learn`),
which the app does not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from desktop import DEFAULT_MODEL_PATH
from desktop.core.classifier import Classifier
from desktop.core.datasets import list_labelled_files
from desktop.core.images import ImageLoadError, load_image, to_model_input

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("CNN_LENS_DATA", REPO_ROOT.parent / "shared" / "data" / "cats-vs-dogs")) / "validation"

# scikit-image sample files that show neither a cat nor a dog.
SKIMAGE_FILES = (
    "astronaut.png", "brick.png", "camera.png", "cell.png", "clock_motion.png", "coffee.png", "coins.png",
    "color.png", "grass.png", "gravel.png", "horse.png", "hubble_deep_field.jpg", "ihc.png", "logo.png",
    "moon.png", "motorcycle_left.png", "page.png", "retina.jpg", "rocket.jpg", "text.png",
)


def other_photos() -> dict[str, Image.Image]:
    """Sample photos of things that are neither cats nor dogs, by name."""
    import skimage
    import sklearn.datasets

    photos = {}
    skimage_data = Path(skimage.__file__).parent / "data"
    for name in SKIMAGE_FILES:
        path = skimage_data / name
        if path.is_file():
            photos[f"skimage/{name}"] = path
    sklearn_images = Path(sklearn.datasets.__file__).parent / "images"
    for path in sorted(sklearn_images.glob("*.jpg")):
        photos[f"sklearn/{path.name}"] = path
    return photos


def face_crops() -> np.ndarray:
    """scikit-image's 200 grayscale face crops (25x25), values 0 to 1."""
    import skimage

    return np.load(Path(skimage.__file__).parent / "data" / "lfw_subset.npy")


def roc_auc(negatives: np.ndarray, positives: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    scores = np.concatenate([negatives, positives])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    for value in np.unique(scores):  # average the ranks of ties
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    positive_ranks = ranks[len(negatives):].sum()
    n_pos, n_neg = len(positives), len(negatives)
    return float((positive_ranks - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def novelty_scores(classifier: Classifier, images: np.ndarray) -> np.ndarray:
    return np.array([p.novelty for p in classifier.predict(images)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.novelty", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="ONNX model with a novelty output")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of in-distribution photos in <label>/ sub-folders")
    args = parser.parse_args(argv)

    classifier = Classifier.load(args.model)
    if not classifier.has_novelty:
        print(f"error: {args.model} has no novelty output; export it again with python -m training.export", file=sys.stderr)
        return 2

    size = classifier.input_size
    files = list_labelled_files(args.data, classifier.labels)
    in_images = []
    for path in files.paths:
        try:
            in_images.append(load_image(path, size))
        except ImageLoadError:
            continue
    in_scores = np.concatenate([novelty_scores(classifier, np.stack(in_images[i:i + 64])) for i in range(0, len(in_images), 64)])

    others = other_photos()
    other_images = np.stack([load_image(path, size) for path in others.values()])
    other_scores = novelty_scores(classifier, other_images)
    faces = np.stack([to_model_input(Image.fromarray((face * 255).astype(np.uint8)).convert("RGB"), size) for face in face_crops()])
    face_scores = novelty_scores(classifier, faces)

    threshold = classifier.novelty_threshold
    result = {
        "model": str(args.model),
        "threshold": threshold,
        "in_distribution": {"photos": len(in_scores), "flagged": float(np.mean(in_scores > threshold))},
        "sample_photos": {
            "photos": len(other_scores),
            "flagged": float(np.mean(other_scores > threshold)),
            "roc_auc": roc_auc(in_scores, other_scores),
            "scores": {name: round(float(score), 2) for name, score in zip(others, other_scores)},
        },
        "face_crops": {
            "photos": len(face_scores),
            "flagged": float(np.mean(face_scores > threshold)),
            "roc_auc": roc_auc(in_scores, face_scores),
        },
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
