"""Decode photo files into the pixels the model sees.

This module is the single image loader of the project: training, evaluation
and the desktop app all call `load_image`, so the network sees the same pixels
when it learns and when it classifies. No Qt and no TensorFlow here.

Every failure is raised as `ImageLoadError`, which names the file and the
reason, so callers can list bad files without catching anything else.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Transparent pixels are composited on white before the model sees them.
BACKGROUND_RGB = (255, 255, 255)

# One filter for every resize. Pillow's bilinear filter widens its support when
# it shrinks an image, so it antialiases as well as interpolating.
RESIZE_FILTER = Image.Resampling.BILINEAR

# Images above this many pixels are rejected from the header alone, before any
# pixel is decoded. Pillow's own default (about 89.5 megapixels) admits every
# camera photo yet stops a decompression bomb from filling memory.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485

# Suffixes that folder scans treat as photos. Loading itself never trusts a
# suffix: a PNG named .jpg decodes as a PNG.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
)

_HIDDEN_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


class ImageLoadError(Exception):
    """A file that cannot be decoded into an image, with the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class DecodedImage:
    """An upright RGB image and facts about its file."""

    image: Image.Image
    path: Path
    format: str
    original_size: tuple[int, int]
    frame_count: int

    @property
    def notes(self) -> list[str]:
        """Remarks a user should see, such as which frame was used."""
        if self.frame_count > 1:
            return [f"first of {self.frame_count} frames used"]
        return []


def is_hidden_file(path: str | os.PathLike) -> bool:
    """Tell whether a file is operating-system clutter rather than a photo.

    Dot files (including macOS `._name` resource forks), `Thumbs.db` and
    `desktop.ini` are clutter.
    """
    name = Path(path).name
    return name.startswith(".") or name.lower() in _HIDDEN_NAMES


def decode_image(
    path: str | os.PathLike, draft_size: tuple[int, int] | None = None
) -> DecodedImage:
    """Decode a file into an upright 8-bit RGB image.

    Args:
        path: the image file. Its format is read from its content, whatever
            its suffix.
        draft_size: (width, height) the caller will shrink the image to. A
            JPEG is then decoded at 1/2, 1/4 or 1/8 scale where that still
            covers this size, which is several times faster.

    The steps are fixed so that every caller gets the same pixels: the first
    frame of animated or multi-page files, EXIF orientation applied, 16-bit
    data scaled to 8 bits, transparency composited on `BACKGROUND_RGB`.

    Raises:
        ImageLoadError: the file is missing, unreadable, empty, not an image,
            truncated or corrupt, or larger than `MAX_PIXELS`.
    """
    path = Path(path)
    _check_file(path)

    try:
        with warnings.catch_warnings():
            # The pixel limit is checked below with a clearer message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageLoadError(
                        path,
                        f"image is too large ({width}x{height} pixels, the limit is "
                        f"{MAX_PIXELS:,} pixels); shrink it and try again",
                    )
                frame_count = getattr(image, "n_frames", 1)
                source_format = image.format or "unknown"
                if draft_size is not None and image.format == "JPEG":
                    image.draft("RGB", draft_size)
                image.load()
                upright = ImageOps.exif_transpose(image)
                rgb = _to_rgb(upright)
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(path, "not an image, or a format Pillow cannot read") from None
    except Image.DecompressionBombError as error:
        raise ImageLoadError(path, f"image is too large: {error}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # Pillow reports truncated or corrupt data through these types.
        raise ImageLoadError(path, f"truncated or corrupt image data ({error})") from None

    return DecodedImage(
        image=rgb,
        path=path,
        format=source_format,
        original_size=(width, height),
        frame_count=frame_count,
    )


def load_image(path: str | os.PathLike, size: tuple[int, int]) -> np.ndarray:
    """Load a file as the model's input.

    Args:
        path: the image file.
        size: (height, width) of the model input, in pixels.

    Returns:
        A uint8 array of shape (height, width, 3), RGB, values 0 to 255. The
        model rescales to [0, 1] itself, so callers pass these values as they
        are (cast to float32 for ONNX Runtime).

    Raises:
        ImageLoadError: see `decode_image`.
    """
    height, width = size
    decoded = decode_image(path, draft_size=(width, height))
    return to_model_input(decoded.image, size)


def to_model_input(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """Resize an RGB image to (height, width) and return it as a uint8 array."""
    height, width = size
    if image.size != (width, height):
        image = image.resize((width, height), RESIZE_FILTER)
    return np.asarray(image, dtype=np.uint8)


def _check_file(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImageLoadError(path, "file not found; it may have been moved or deleted") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied; check the file's read permission") from None
    except OSError as error:
        raise ImageLoadError(path, f"cannot read file ({error.strerror or error})") from None

    if path.is_dir():
        raise ImageLoadError(path, "is a folder, not an image file")
    if size == 0:
        raise ImageLoadError(path, "file is empty (0 bytes)")
    if not os.access(path, os.R_OK):
        raise ImageLoadError(path, "permission denied; check the file's read permission")


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit (or 32-bit integer) samples: scale the 0-65535 range to 0-255
        # instead of letting convert("L") clip everything above 255 to white.
        samples = np.asarray(image, dtype=np.float64)
        image = Image.fromarray(np.clip(np.rint(samples / 257.0), 0, 255).astype(np.uint8), "L")
    elif image.mode == "F":
        samples = np.asarray(image, dtype=np.float64)
        image = Image.fromarray(np.clip(np.rint(samples), 0, 255).astype(np.uint8), "L")

    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, BACKGROUND_RGB + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")

    if image.mode != "RGB":
        return image.convert("RGB")
    return image
