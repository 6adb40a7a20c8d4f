"""Decode photo files into the pixels the model sees.

This module is the single image loader of the project: training, evaluation
and the desktop app all call `load_image`, so the network sees the same pixels
when it learns and when it classifies. No Qt and no TensorFlow here.

Every failure is raised as `ImageLoadError`, which names the file and the
reason, so callers can list bad files without catching anything else.
"""

from __future__ import annotations

import os
import stat
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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

# Pillow format names that `decode_image` accepts. Other Pillow plugins are
# never tried, so a file with a misleading suffix cannot reach a rarely used
# parser (or, for EPS, an external Ghostscript process). A JPEG with
# multi-picture data is opened by the JPEG plugin and reports format "MPO".
SUPPORTED_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP")

# Suffixes that folder scans treat as photos. Loading itself never trusts a
# suffix: a PNG named .jpg decodes as a PNG.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
)

_HIDDEN_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})

_EXIF_ORIENTATION_TAG = 0x0112

# Orientations 5 to 8 store the image with width and height swapped.
_SWAPPED_ORIENTATIONS = frozenset({5, 6, 7, 8})

# Exceptions Pillow raises for corrupt data while reading headers, EXIF or
# pixels. On Pillow 13.0, benchmarks/fuzz_loader.py met OSError (including
# "image file is truncated"), SyntaxError ("broken PNG file"), ValueError
# ("Truncated IHDR chunk") and struct.error (short EXIF or TIFF tag data).
# Pillow raises EOFError for a frame without image data ("image not found in
# GIF frame").
_CORRUPT_DATA_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)


class ImageLoadError(Exception):
    """A file that cannot be decoded into an image, with the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class DecodedImage:
    """An upright RGB image and facts about its file.

    `notes` are remarks a user should see, such as which frame was used or
    that an invalid EXIF orientation was ignored.
    """

    image: Image.Image
    path: Path
    format: str  # Pillow's name for the file's format, such as "JPEG" or "MPO"
    original_size: tuple[int, int]  # (width, height) as stored, before EXIF orientation
    frame_count: int
    notes: tuple[str, ...] = ()


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
            its suffix, and must be one of `SUPPORTED_FORMATS`.
        draft_size: (width, height) the caller will shrink the upright image
            to. A JPEG is then decoded at 1/2, 1/4 or 1/8 scale where that
            still covers this size, which is several times faster.

    The steps are fixed so that every caller gets the same pixels: the first
    frame of animated or multi-page files, EXIF orientation applied, 16-bit
    data scaled to 8 bits, transparency composited on `BACKGROUND_RGB`. An
    unreadable EXIF block or an orientation value outside 1 to 8 leaves the
    image as stored and adds a note. A file whose first frame is truncated is
    rejected, not decoded in part. Later frames are counted but not decoded,
    so damage to their pixel data goes unnoticed.

    Raises:
        ImageLoadError: the file is missing, unreadable, not a regular file,
            empty, not an image in a supported format, truncated or corrupt,
            or larger than `MAX_PIXELS`.
    """
    path = Path(path)
    # The file is opened once and checked through its descriptor, so a file
    # deleted or replaced after the checks cannot reach Pillow.
    with _open_regular_file(path) as stream:
        return _decode_stream(stream, path, draft_size)


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


def _open_regular_file(path: Path) -> BinaryIO:
    # O_NONBLOCK stops open() from waiting for a writer when the path is a
    # FIFO. It has no effect on regular files.
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise ImageLoadError(path, "file not found; check the path, or whether the file was moved or deleted") from None
    except PermissionError:
        # On Windows, opening a folder raises PermissionError.
        if path.is_dir():
            raise ImageLoadError(path, "is a folder, not an image file") from None
        raise ImageLoadError(path, "permission denied; check the file's read permission") from None
    except OSError as error:
        # For example a symbolic-link loop or a name too long for the file system.
        raise ImageLoadError(path, f"cannot open file ({error.strerror or error})") from None

    status = os.fstat(descriptor)
    reason = None
    if stat.S_ISDIR(status.st_mode):
        reason = "is a folder, not an image file"
    elif not stat.S_ISREG(status.st_mode):
        reason = "not a regular file (a device, pipe or socket)"
    elif status.st_size == 0:
        reason = "file is empty (0 bytes)"
    if reason is not None:
        os.close(descriptor)
        raise ImageLoadError(path, reason)
    return os.fdopen(descriptor, "rb")


def _decode_stream(
    stream: BinaryIO, path: Path, draft_size: tuple[int, int] | None
) -> DecodedImage:
    try:
        with warnings.catch_warnings():
            # The pixel limit is checked below with a clearer message.
            # NOTE: catch_warnings is not thread-safe before Python 3.14, and
            # the app decodes on several threads. A race can leave this
            # filter installed or drop it, which only shows or hides Pillow's
            # warning for an image that is rejected either way.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream, formats=SUPPORTED_FORMATS) as image:
                width, height = image.size
                _check_pixel_count(path, width, height)
                frame_count = _count_frames(image, path)
                source_format = image.format or "unknown"
                upright, orientation_note = _load_upright(image, draft_size)
                rgb = _to_rgb(upright)
                if rgb is image:
                    # Detach the result from the file, which closes below.
                    rgb = image.copy()
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(
            path,
            "not an image, or not in a supported format "
            f"({', '.join(SUPPORTED_FORMATS)})",
        ) from None
    except Image.DecompressionBombError as error:
        # Pillow itself rejects images over twice its MAX_IMAGE_PIXELS when it
        # opens them, before `_check_pixel_count` runs.
        pillow_message = str(error).rstrip(".")
        raise ImageLoadError(
            path, f"image is too large ({pillow_message}); shrink it and try again"
        ) from None
    except _CORRUPT_DATA_ERRORS as error:
        if str(error).startswith("image file is truncated"):
            # Pillow's byte count in this message is what its decoder had left
            # over, not how much of the file is missing, so it is left out.
            raise ImageLoadError(
                path, "truncated or corrupt image data: the file ends before its image does; copy or download it again"
            ) from None
        raise ImageLoadError(path, f"truncated or corrupt image data ({error})") from None

    notes = []
    if frame_count > 1:
        notes.append(f"first of {frame_count} frames used")
    if orientation_note:
        notes.append(orientation_note)
    return DecodedImage(
        image=rgb,
        path=path,
        format=source_format,
        original_size=(width, height),
        frame_count=frame_count,
        notes=tuple(notes),
    )


def _check_pixel_count(path: Path, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageLoadError(
            path,
            f"image is too large ({width}x{height} pixels, the limit is "
            f"{MAX_PIXELS:,} pixels); shrink it and try again",
        )


def _load_upright(
    image: Image.Image, draft_size: tuple[int, int] | None
) -> tuple[Image.Image, str | None]:
    """Decode the current frame, turn it upright, and return it with the orientation note."""
    is_jpeg = image.format in ("JPEG", "MPO")
    if is_jpeg:
        # Pillow reads a JPEG's EXIF block when it opens the file, so the
        # orientation is known before the pixels are decoded.
        orientation, orientation_note = _read_orientation(image)
        if draft_size is not None:
            if orientation in _SWAPPED_ORIENTATIONS:
                draft_size = (draft_size[1], draft_size[0])
            image.draft("RGB", draft_size)

    image.load()
    if not is_jpeg:
        # A PNG may store EXIF after its pixel data, and Pillow decodes the
        # pixels to reach it, so the orientation is read after load().
        orientation, orientation_note = _read_orientation(image)

    if orientation != 1:
        # Only a valid orientation gets here. Pillow's transpose reads the same
        # EXIF block again, which already parsed once above.
        return ImageOps.exif_transpose(image), orientation_note
    return image, orientation_note


def _count_frames(image: Image.Image, path: Path) -> int:
    # Counting seeks through every frame header. Pillow's GIF and TIFF readers
    # raise IndexError or TypeError there when a later frame is truncated or
    # lacks its size, and a truncated file is rejected like any other.
    try:
        return getattr(image, "n_frames", 1)
    except (*_CORRUPT_DATA_ERRORS, IndexError, TypeError) as error:
        raise ImageLoadError(
            path, f"truncated or corrupt image data (while counting frames: {error})"
        ) from None


def _read_orientation(image: Image.Image) -> tuple[int, str | None]:
    """Return the EXIF orientation to apply (1 to 8) and a note when it was ignored."""
    try:
        value = image.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except _CORRUPT_DATA_ERRORS as error:
        return 1, f"EXIF data is invalid ({error}), so the image is shown as stored"
    if isinstance(value, int) and 1 <= value <= 8:
        return value, None
    return 1, f"EXIF orientation {value!r} is not 1 to 8, so the image is shown as stored"


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit (or 32-bit integer) samples: scale the 0-65535 range to 0-255
        # instead of letting convert("L") clip everything above 255 to white.
        samples = np.asarray(image, dtype=np.float64)
        image = Image.fromarray(np.clip(np.rint(samples / 257.0), 0, 255).astype(np.uint8), "L")
    elif image.mode == "F":
        samples = np.asarray(image, dtype=np.float64)
        image = Image.fromarray(np.clip(np.rint(samples), 0, 255).astype(np.uint8), "L")

    # A palette, grayscale or RGB image may name one transparent colour in
    # `info["transparency"]` instead of carrying an alpha channel.
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, BACKGROUND_RGB + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")

    if image.mode != "RGB":
        return image.convert("RGB")
    return image
