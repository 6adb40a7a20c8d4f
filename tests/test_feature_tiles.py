"""Feature-map colouring with numpy alone, without Qt."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.ui.feature_tiles import COLORMAP, colorize_channels, normalize_channels


def test_colormap_is_viridis_table():
    assert COLORMAP.shape == (256, 3)
    assert COLORMAP.dtype == np.uint8
    assert COLORMAP[0].tolist() == [0x44, 0x01, 0x54]
    assert COLORMAP[255].tolist() == [0xFD, 0xE7, 0x25]
    # Viridis gets lighter from one end to the other. Neighbouring entries
    # may dip by a fraction of a level after rounding, so every 16th is compared.
    luminance = COLORMAP.astype(float) @ [0.2126, 0.7152, 0.0722]
    assert np.all(np.diff(luminance[::16]) > 0)


def test_colormap_close_to_matplotlib():
    colormaps = pytest.importorskip("matplotlib").colormaps
    reference = colormaps["viridis"](np.arange(256))[:, :3] * 255
    difference = np.abs(COLORMAP.astype(float) - reference)
    assert difference.max() <= 16
    assert difference.mean() <= 2


def test_normalize_scales_each_channel_alone():
    feature_map = np.zeros((2, 3, 3), dtype=np.float32)
    feature_map[..., 0] = [[0, 1, 2], [3, 4, 5]]
    feature_map[..., 1] = [[-100, 0, 0], [0, 0, 100]]
    feature_map[..., 2] = 7.5  # a constant channel

    levels = normalize_channels(feature_map)

    assert levels.shape == (3, 2, 3)
    assert levels.dtype == np.uint8
    assert levels[0].tolist() == [[0, 51, 102], [153, 204, 255]]
    assert levels[1].tolist() == [[0, 128, 128], [128, 128, 255]]
    assert levels[2].tolist() == [[0, 0, 0], [0, 0, 0]]


def test_normalize_rejects_wrong_rank():
    with pytest.raises(ValueError, match=r"\(height, width, channels\).*\(4, 4\)"):
        normalize_channels(np.zeros((4, 4)))


def test_colorize_stacks_channel_tiles():
    rng = np.random.default_rng(7)
    feature_map = rng.normal(size=(5, 4, 6)).astype(np.float32)

    tiles = colorize_channels(feature_map)

    assert tiles.shape == (6 * 5, 4, 3)
    assert tiles.dtype == np.uint8
    assert tiles.flags["C_CONTIGUOUS"]
    levels = normalize_channels(feature_map)
    for channel in range(6):
        tile = tiles[channel * 5 : (channel + 1) * 5]
        np.testing.assert_array_equal(tile, COLORMAP[levels[channel]])
        # Each tile spans the whole colour map, from its minimum to its maximum.
        assert tile.reshape(-1, 3).tolist().count(COLORMAP[0].tolist()) >= 1
        assert tile.reshape(-1, 3).tolist().count(COLORMAP[255].tolist()) >= 1
