"""The shared image loader on real photos and on files built from them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from desktop.core.images import BACKGROUND_RGB, ImageLoadError, decode_image, load_image

SIZE = (150, 150)


@pytest.fixture
def photo(photo_paths):
    return photo_paths["cat"][0]


def test_load_real_photo(photo):
    array = load_image(photo, SIZE)
    assert array.shape == (150, 150, 3)
    assert array.dtype == np.uint8
    assert 20 < array.mean() < 235


def test_load_non_square_size(photo):
    assert load_image(photo, (96, 128)).shape == (96, 128, 3)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_upright(photo, tmp_path, orientation):
    """A photo stored rotated or mirrored with an EXIF tag loads as the upright original."""
    upright = Image.open(photo).convert("RGB")
    # Store the pixels so that applying `orientation` gives back `upright`.
    inverse = {
        1: None,
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    stored = upright if inverse is None else upright.transpose(inverse)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"orientation-{orientation}.png"
    stored.save(path, exif=exif)

    decoded = decode_image(path)
    assert decoded.image.size == upright.size
    assert np.array_equal(np.asarray(decoded.image), np.asarray(upright))


def test_alpha_composited_on_background(tmp_path):
    path = tmp_path / "transparent.png"
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(path)
    array = load_image(path, (10, 10))
    assert (array == np.array(BACKGROUND_RGB, dtype=np.uint8)).all()


def test_png_named_jpg_decodes(photo, tmp_path):
    path = tmp_path / "really-a-png.jpg"
    Image.open(photo).save(path, format="PNG")
    assert decode_image(path).format == "PNG"
    assert load_image(path, SIZE).shape == (150, 150, 3)


def test_grayscale_16bit_scaled_not_clipped(tmp_path):
    path = tmp_path / "gray16.png"
    samples = np.full((8, 8), 32768, dtype=np.uint16)  # mid-grey in 16 bits
    Image.fromarray(samples).save(path)
    array = load_image(path, (8, 8))
    assert array.shape == (8, 8, 3)
    assert int(array[0, 0, 0]) == 128


def test_empty_file_rejected(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty") as caught:
        load_image(path, SIZE)
    assert caught.value.path == path


def test_text_file_rejected(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(ImageLoadError, match="not an image"):
        load_image(path, SIZE)


def test_truncated_jpeg_rejected(photo, tmp_path):
    path = tmp_path / "truncated.jpg"
    path.write_bytes(photo.read_bytes()[:2000])
    with pytest.raises(ImageLoadError, match="truncated"):
        load_image(path, SIZE)


def test_missing_file_rejected(tmp_path):
    with pytest.raises(ImageLoadError, match="not found"):
        load_image(tmp_path / "gone.jpg", SIZE)


def test_too_many_pixels_rejected_before_decoding(tmp_path, monkeypatch):
    from desktop.core import images

    path = tmp_path / "big.png"
    Image.new("RGB", (400, 300)).save(path)
    monkeypatch.setattr(images, "MAX_PIXELS", 100_000)
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(path, SIZE)
