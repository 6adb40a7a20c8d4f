"""Convert numpy arrays and Pillow images to QImage.

QImage, unlike QPixmap, may be built on a worker thread, so the worker hands
finished QImages to the window.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtGui import QImage


def rgb_array_to_qimage(array: np.ndarray) -> QImage:
    """Copy a (height, width, 3) uint8 RGB array into a QImage that owns its pixels.

    Raises:
        ValueError: the array is not (height, width, 3) uint8.
    """
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(f"expected a (height, width, 3) uint8 array, got {array.shape} {array.dtype}")

    array = np.ascontiguousarray(array)
    height, width, _ = array.shape
    # The first QImage only wraps the array's buffer. copy() gives it pixels of
    # its own, so the array can be freed.
    view = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_RGB888)
    return view.copy()


def pil_to_qimage(image: Image.Image) -> QImage:
    """Copy an RGB Pillow image into a QImage."""
    return rgb_array_to_qimage(np.asarray(image.convert("RGB"), dtype=np.uint8))


def rgba_array_to_qimage(array: np.ndarray) -> QImage:
    """Copy a (height, width, 4) uint8 RGBA array, not premultiplied, into a QImage that owns its pixels.

    Raises:
        ValueError: the array is not (height, width, 4) uint8.
    """
    if array.ndim != 3 or array.shape[2] != 4 or array.dtype != np.uint8:
        raise ValueError(f"expected a (height, width, 4) uint8 array, got {array.shape} {array.dtype}")

    array = np.ascontiguousarray(array)
    height, width, _ = array.shape
    view = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_RGBA8888)
    return view.copy()
