"""Turn conv activations into coloured tiles, with numpy only.

The worker thread calls `colorize_channels`, and the window only paints the
result, so a feature-map grid costs no Python loop over pixels or channels.
"""

from __future__ import annotations

import numpy as np

from desktop.core.colormaps import VIRIDIS

COLORMAP = VIRIDIS


def normalize_channels(feature_map: np.ndarray) -> np.ndarray:
    """Scale each channel of a (height, width, channels) map to 0..255 on its own.

    Returns:
        A uint8 array of shape (channels, height, width): each channel's
        minimum becomes 0 and its maximum 255. A constant channel, such as a
        ReLU output that is zero everywhere, becomes all 0.

    Raises:
        ValueError: `feature_map` is not three-dimensional.
    """
    feature_map = np.asarray(feature_map, dtype=np.float32)
    if feature_map.ndim != 3:
        raise ValueError(
            f"feature_map must have shape (height, width, channels), got {feature_map.shape}"
        )

    channels = np.moveaxis(feature_map, -1, 0)
    low = channels.min(axis=(1, 2), keepdims=True)
    span = channels.max(axis=(1, 2), keepdims=True) - low
    # Dividing by 1 where the span is 0 keeps constant channels at 0, not NaN.
    scaled = (channels - low) * (255.0 / np.where(span > 0, span, 1.0))
    return np.rint(scaled).astype(np.uint8)


def colorize_channels(feature_map: np.ndarray, colormap: np.ndarray = COLORMAP) -> np.ndarray:
    """Render every channel of a (height, width, channels) map as an RGB tile.

    Returns:
        A C-contiguous uint8 array of shape (channels * height, width, 3):
        the tiles stacked top to bottom in channel order, so tile `k` is rows
        `k * height` to `(k + 1) * height`. One tall image converts to a
        single QImage, and the grid widget picks tiles out of it by rectangle.
    """
    levels = normalize_channels(feature_map)
    channels, height, width = levels.shape
    # np.take is about twice as fast as fancy indexing for this lookup.
    return np.take(colormap, levels.reshape(channels * height, width), axis=0)
