"""Figure 5: rendering one photo's feature maps as coloured tiles."""

from __future__ import annotations

import numpy as np
from PIL import Image

from benchmarks.context import Context
from benchmarks.results import SPEEDUP, Figure
from benchmarks.timing import interleave, repeat

MAX_RENDER_MS = 15.0


def render_per_channel(feature_map: np.ndarray, colormap: np.ndarray) -> dict:
    """Render a (height, width, channels) map channel by channel with Pillow, as a first version would.

    Produces what the app's `render_feature_map` does: each channel scaled
    from its own minimum to its maximum, coloured through a palette image and
    pasted into a tall sheet of tiles, plus the levels and each channel's
    minimum, maximum and mean.
    """
    from desktop.ui.qimages import pil_to_qimage

    height, width, channels = feature_map.shape
    palette = colormap.reshape(-1).tolist()
    sheet = Image.new("RGB", (width, height * channels))
    levels = np.empty((channels, height, width), dtype=np.uint8)
    minimums, maximums, means = (np.empty(channels, dtype=np.float32) for _ in range(3))
    for channel in range(channels):
        values = feature_map[:, :, channel].astype(np.float32)
        low = values.min()
        high = values.max()
        span = high - low
        scaled = (values - low) * (255.0 / span) if span > 0 else np.zeros_like(values)
        levels[channel] = np.rint(scaled).astype(np.uint8)
        minimums[channel], maximums[channel], means[channel] = low, high, values.mean()

        tile = Image.fromarray(levels[channel], "P")
        tile.putpalette(palette)
        sheet.paste(tile.convert("RGB"), (0, channel * height))
    return {"tiles": pil_to_qimage(sheet), "levels": levels, "minimums": minimums, "maximums": maximums, "means": means}


def measure_rendering(context: Context) -> list[Figure]:
    """Time the app's rendering of every conv block of one photo against a per-channel loop.

    Ours is the app worker's `render_feature_map` for each block: the tile
    sheet as a QImage, the per-channel levels and statistics. The baseline,
    `render_per_channel`, produces the same from a loop over channels.
    """
    from desktop.ui.feature_tiles import COLORMAP
    from desktop.ui.worker import render_feature_map

    classifier = context.classifier
    photo = context.photo_sample(1)[0]
    maps = classifier.classify_file(photo, feature_maps=True).feature_maps
    names = classifier.feature_map_names

    def render_ours():
        return [render_feature_map(name, maps[name]) for name in names]

    def render_baseline():
        return [render_per_channel(maps[name], COLORMAP) for name in names]

    calls = context.sizes.render_calls
    summaries = interleave(
        {"ours": repeat(render_ours, calls), "baseline": repeat(render_baseline, calls)},
        context.sizes.rounds,
    )
    ours = summaries["ours"].scaled(1000)
    baseline = summaries["baseline"].scaled(1000)
    shapes = {name: list(maps[name].shape) for name in names}
    tiles = sum(shape[2] for shape in shapes.values())
    return [Figure(
        key="feature_maps.render",
        title=f"Feature-map tiles for one photo ({tiles} tiles, {len(names)} blocks)",
        unit="ms",
        ours=ours,
        baseline=baseline,
        baseline_name="per-channel loop",
        ratio=baseline.median / ours.median,
        ratio_unit=SPEEDUP,
        target=f"≤ {MAX_RENDER_MS:g} ms",
        met=ours.median <= MAX_RENDER_MS,
        details={"photo": str(photo), "feature_map_shapes": shapes},
    )]
