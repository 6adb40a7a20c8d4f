"""Sanity checks that the shipped model's attribution maps show what drove the prediction."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from PIL import Image

from desktop.core.classifier import Classifier
from desktop.core.images import load_image

N_PHOTOS = 12


@pytest.fixture(scope="module")
def shipped(model_path) -> Classifier:
    classifier = Classifier.load(model_path)
    assert classifier.has_attribution, "the shipped model must have an attribution output"
    return classifier


@pytest.fixture(scope="module")
def photos(shipped, data_dir) -> np.ndarray:
    paths = []
    for label in ("cat", "dog"):
        paths += sorted((data_dir / "validation" / label).glob("*.jpg"))[: N_PHOTOS // 2]
    return np.stack([load_image(path, shipped.input_size) for path in paths])


def _randomised_copy(model_path, tmp_path) -> Classifier:
    """The shipped graph with every weight tensor replaced by noise of the same scale."""
    proto = onnx.load(model_path)
    rng = np.random.default_rng(0)
    for initializer in proto.graph.initializer:
        values = numpy_helper.to_array(initializer)
        # Convolution and dense kernels (2-D and 4-D); shapes and constants stay.
        if values.dtype == np.float32 and values.ndim in (2, 4) and values.size > 16:
            noise = rng.normal(0.0, float(values.std()) or 0.05, values.shape).astype(np.float32)
            initializer.CopyFrom(numpy_helper.from_array(noise, initializer.name))
    path = tmp_path / "randomised.onnx"
    onnx.save(proto, path)
    return Classifier.load(path)


def _upsampled_evidence(prediction, size) -> np.ndarray:
    evidence = prediction.attribution[..., prediction.index]
    image = Image.fromarray(evidence.astype(np.float32), mode="F").resize(size[::-1], Image.Resampling.BILINEAR)
    return np.asarray(image)


def test_randomised_weights_change_maps(shipped, photos, model_path, tmp_path):
    """Maps of a model with random weights are unlike the trained model's (model-randomisation check)."""
    randomised = _randomised_copy(model_path, tmp_path)
    trained_maps = [p.attribution[..., 1].ravel() for p in shipped.predict(photos, attribution=True)]
    random_maps = [p.attribution[..., 1].ravel() for p in randomised.predict(photos, attribution=True)]

    correlations = [np.corrcoef(a, b)[0, 1] for a, b in zip(trained_maps, random_maps)]
    assert np.nanmean(np.abs(correlations)) < 0.5


def test_blanking_hot_region_hurts_more(shipped, photos):
    """Greying out the most important quarter of a photo lowers the predicted class's
    probability more than greying out the least important quarter."""
    height, width = shipped.input_size
    window = (height // 2, width // 2)
    hot_drops, cold_drops = [], []
    for photo, prediction in zip(photos, shipped.predict(photos, attribution=True)):
        evidence = _upsampled_evidence(prediction, shipped.input_size)
        # Mean evidence of every window position, from an integral image.
        integral = np.pad(evidence, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
        sums = (
            integral[window[0]:, window[1]:] - integral[:-window[0], window[1]:]
            - integral[window[0]:, :-window[1]] + integral[:-window[0], :-window[1]]
        )
        hot = np.unravel_index(np.argmax(sums), sums.shape)
        cold = np.unravel_index(np.argmin(sums), sums.shape)

        blanked = []
        for top, left in (hot, cold):
            copy = photo.copy()
            copy[top:top + window[0], left:left + window[1]] = 128
            blanked.append(copy)
        hot_p, cold_p = (p.probabilities[prediction.index] for p in shipped.predict(np.stack(blanked)))
        hot_drops.append(prediction.confidence - hot_p)
        cold_drops.append(prediction.confidence - cold_p)

    hot_drops, cold_drops = np.array(hot_drops), np.array(cold_drops)
    assert hot_drops.mean() > cold_drops.mean() + 0.05
    assert np.sum(hot_drops > cold_drops) >= 0.75 * len(hot_drops)
