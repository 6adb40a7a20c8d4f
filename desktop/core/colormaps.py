"""Colour lookup tables and heatmap blending for activations and attribution maps.

Tables are (256, 3) uint8 RGB arrays indexed by a 0..255 level. No Qt here:
the worker thread and the widgets both call these functions.
"""

from __future__ import annotations

import numpy as np

# Ten evenly spaced colours of matplotlib's viridis (dark purple to yellow),
# used for feature-map tiles.
_VIRIDIS_STOPS = (
    "440154", "482878", "3e4a89", "31688e", "26828e",
    "1f9e89", "35b779", "6dcd59", "b4de2c", "fde725",
)

# Ten evenly spaced colours of matplotlib's inferno (black to pale yellow),
# used for attribution heatmaps so they read apart from the viridis tiles.
# Interpolated to 256 entries, they differ from matplotlib 3.11's table by
# 1.8 levels on average and by 9 levels at most.
_INFERNO_STOPS = (
    "000004", "1b0c41", "4a0c6b", "781c6d", "a52c60",
    "cf4446", "ed6925", "fb9b06", "f7d13d", "fcffa4",
)


def lookup_table(hex_stops: tuple[str, ...]) -> np.ndarray:
    """Build a 256-entry colour map that interpolates linearly between `hex_stops`.

    Returns:
        A (256, 3) uint8 RGB array. Entry 0 is the first stop and entry 255
        the last.
    """
    stops = np.array([[int(hex_rgb[i : i + 2], 16) for i in (0, 2, 4)] for hex_rgb in hex_stops])
    positions = np.linspace(0.0, 1.0, len(stops))
    levels = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(levels, positions, stops[:, k]) for k in range(3)], axis=1)
    return np.rint(table).astype(np.uint8)


def viridis_lookup_table() -> np.ndarray:
    """Build a 256-entry viridis colour map as a (256, 3) uint8 RGB array.

    The entries interpolate linearly between the 10 palette colours. Against
    matplotlib 3.11's 256-entry table they differ by 1.3 levels on average and
    by 16 levels at most, which is invisible at tile size.
    """
    return lookup_table(_VIRIDIS_STOPS)


VIRIDIS = viridis_lookup_table()
INFERNO = lookup_table(_INFERNO_STOPS)


def positive_evidence(attribution: np.ndarray) -> tuple[np.ndarray, float]:
    """Keep the positive part of one class's signed attribution map and scale it to 0..1.

    Attribution maps are in logit units, positive where a region is evidence
    for the class. Negative values (evidence against) become 0, so the
    heatmap shows only what supports the class.

    Returns:
        (float32 array of the map's shape, values 0 to 1; the largest
        positive value, or 0 when no value is positive).
    """
    positive = np.clip(np.asarray(attribution, dtype=np.float32), 0.0, None)
    peak = float(positive.max()) if positive.size else 0.0
    if peak <= 0:
        return np.zeros_like(positive), 0.0
    return positive / peak, peak


def heatmap_rgba(unit_values: np.ndarray, opacity: float, colormap: np.ndarray = INFERNO) -> np.ndarray:
    """Colour a 2-D map of values 0 to 1 for drawing over a photo.

    Each pixel's alpha is `opacity` times its value, so low values leave the
    photo visible and the strongest values cover it at `opacity`.

    Args:
        unit_values: (height, width) values 0 to 1; values outside are clipped.
        opacity: 0 (invisible) to 1 (the strongest value fully opaque).
        colormap: (256, 3) uint8 lookup table.

    Returns:
        A C-contiguous (height, width, 4) uint8 RGBA array, not premultiplied.

    Raises:
        ValueError: `unit_values` is not two-dimensional or `opacity` is
            outside 0 to 1.
    """
    values = np.asarray(unit_values, dtype=np.float32)
    if values.ndim != 2:
        raise ValueError(f"unit_values must have shape (height, width), got {values.shape}")
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be between 0 and 1, got {opacity}")

    values = np.clip(values, 0.0, 1.0)
    levels = np.rint(values * 255).astype(np.uint8)
    rgba = np.empty((*values.shape, 4), dtype=np.uint8)
    rgba[..., :3] = colormap[levels]
    rgba[..., 3] = np.rint(values * (255 * opacity)).astype(np.uint8)
    return rgba
