"""The shared image loader on real photos and on files built from them.

Files the loader must decode live here; files it must reject are in
test_bad_inputs.py.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image, ImageOps

from desktop.core.classifier import Classifier
from desktop.core.datasets import find_image_files
from desktop.core.images import BACKGROUND_RGB, ImageLoadError, decode_image, load_image

SIZE = (150, 150)

EXIF_ORIENTATION = 0x0112

# The transposition that stores an upright image so that applying the EXIF
# orientation to the stored pixels gives back the upright image.
STORE_FOR_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.fixture
def photo(photo_paths):
    return photo_paths["cat"][0]


@pytest.fixture
def upright(photo) -> Image.Image:
    """The first cat photo as decoded RGB pixels."""
    with Image.open(photo) as image:
        return image.convert("RGB")


@pytest.fixture(scope="module")
def classifier(model_path) -> Classifier:
    return Classifier.load(model_path)


def store_with_orientation(upright: Image.Image, orientation: int) -> tuple[Image.Image, Image.Exif]:
    """Return the pixels to store for `orientation`, and an EXIF block with that tag."""
    transpose = STORE_FOR_ORIENTATION[orientation]
    stored = upright if transpose is None else upright.transpose(transpose)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    return stored, exif


def mean_abs_difference(first, second) -> float:
    return float(np.abs(np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)).mean())


def test_load_real_photo(photo):
    array = load_image(photo, SIZE)
    assert array.shape == (150, 150, 3)
    assert array.dtype == np.uint8
    assert 20 < array.mean() < 235


def test_load_non_square_size(photo):
    assert load_image(photo, (96, 128)).shape == (96, 128, 3)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_upright(upright, tmp_path, orientation):
    """A photo stored rotated or mirrored with an EXIF tag loads as the upright original."""
    stored, exif = store_with_orientation(upright, orientation)
    path = tmp_path / f"orientation-{orientation}.png"
    stored.save(path, exif=exif)

    decoded = decode_image(path)
    assert decoded.image.size == upright.size
    assert np.array_equal(np.asarray(decoded.image), np.asarray(upright))
    assert decoded.notes == ()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_jpeg_upright(upright, tmp_path, orientation):
    """A JPEG with an orientation tag decodes to Pillow's own upright version of its pixels."""
    stored, exif = store_with_orientation(upright, orientation)
    path = tmp_path / f"orientation-{orientation}.jpg"
    stored.save(path, exif=exif, quality=95)

    decoded = decode_image(path)

    # Pillow's ImageOps.exif_transpose is an independent reference for the
    # exact pixels. The JPEG round trip changes pixels slightly, so the
    # comparison with the original photo is by mean difference: about 1 grey
    # level when upright, tens of levels when turned the wrong way.
    with Image.open(path) as raw:
        reference = ImageOps.exif_transpose(raw)
    assert decoded.image.size == upright.size
    assert np.array_equal(np.asarray(decoded.image), np.asarray(reference))
    assert mean_abs_difference(decoded.image, upright) < 3
    assert mean_abs_difference(decoded.image, upright.transpose(Image.Transpose.ROTATE_180)) > 20


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_png_probabilities(classifier, upright, tmp_path, orientation):
    """Through the shipped model, a PNG stored with any orientation tag scores like the upright photo.

    PNG is lossless and the loader turns the image upright before resizing it,
    so both files reach the model as the same pixels.
    """
    upright_path = tmp_path / "upright.png"
    upright.save(upright_path)
    stored, exif = store_with_orientation(upright, orientation)
    path = tmp_path / f"orientation-{orientation}.png"
    stored.save(path, exif=exif)

    expected = classifier.classify_file(upright_path).probabilities
    actual = classifier.classify_file(path).probabilities

    assert actual.shape == (2,)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_jpeg_probabilities(classifier, upright, tmp_path, orientation):
    """Through the shipped model, a tagged JPEG scores like a lossless upright copy of its own pixels.

    A JPEG of rotated pixels does not decode to the rotated pixels of the
    upright JPEG, so the reference is this file's decoded pixels, turned
    upright by Pillow and saved as PNG. The photo is cropped to less than
    twice the model input on one side, so the JPEG draft mode keeps full
    scale and both files reach the resize step with the same pixels.
    """
    cropped = upright.crop((0, 0, 400, 2 * classifier.input_size[0] - 20))
    stored, exif = store_with_orientation(cropped, orientation)
    path = tmp_path / f"orientation-{orientation}.jpg"
    stored.save(path, exif=exif, quality=90)
    reference_path = tmp_path / "reference.png"
    with Image.open(path) as raw:
        ImageOps.exif_transpose(raw).save(reference_path)

    expected = classifier.classify_file(reference_path).probabilities
    actual = classifier.classify_file(path).probabilities

    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4)


def test_draft_covers_size_after_rotation(upright, tmp_path):
    """Regression: a JPEG stored sideways was drafted for the stored, not the upright, size.

    The draft mode picked its scale from the stored 415x498 pixels, so the
    upright result was 249x208 for a requested 100x240 and had to be
    enlarged again.
    """
    stored, exif = store_with_orientation(upright, 6)
    path = tmp_path / "sideways.jpg"
    stored.save(path, exif=exif, quality=95)

    decoded = decode_image(path, draft_size=(100, 240))

    width, height = decoded.image.size
    assert width >= 100
    assert height >= 240
    assert decoded.original_size == (upright.height, upright.width)


def test_draft_jpeg_orientation_upright(upright, tmp_path):
    """The model input of a full-size sideways JPEG matches that of the upright JPEG."""
    upright_path = tmp_path / "upright.jpg"
    upright.save(upright_path, quality=95)
    stored, exif = store_with_orientation(upright, 6)
    path = tmp_path / "sideways.jpg"
    stored.save(path, exif=exif, quality=95)

    expected = load_image(upright_path, SIZE)
    actual = load_image(path, SIZE)

    assert actual.shape == expected.shape
    assert mean_abs_difference(actual, expected) < 3
    assert mean_abs_difference(actual, np.rot90(expected, 2)) > 20


def test_invalid_exif_decodes_with_note(upright, tmp_path):
    """Regression: a PNG whose EXIF chunk is not valid TIFF data was rejected as corrupt.

    Its pixels are intact, so it now decodes as stored, with a note. A PNG
    makes the case reliably: when a JPEG has no resolution in its JFIF header,
    Pillow reads the EXIF block for one while opening the file and silently
    drops it if invalid.
    """
    path = tmp_path / "bad-exif.png"
    upright.save(path, exif=b"Exif\x00\x00not a TIFF header")

    decoded = decode_image(path)

    assert np.array_equal(np.asarray(decoded.image), np.asarray(upright))
    assert len(decoded.notes) == 1
    assert decoded.notes[0].startswith("EXIF data is invalid (not a TIFF file")
    assert decoded.notes[0].endswith("so the image is shown as stored")


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_out_of_range_orientation_ignored(upright, tmp_path, orientation):
    _, exif = store_with_orientation(upright, 1)
    exif[EXIF_ORIENTATION] = orientation
    path = tmp_path / f"orientation-{orientation}.png"
    upright.save(path, exif=exif)

    decoded = decode_image(path)

    assert np.array_equal(np.asarray(decoded.image), np.asarray(upright))
    expected_note = f"EXIF orientation {orientation} is not 1 to 8, so the image is shown as stored"
    assert decoded.notes == (expected_note,)


@pytest.mark.parametrize("format_name", ["PNG", "GIF", "BMP", "WEBP"])
def test_wrong_suffix_decodes_by_content(upright, tmp_path, format_name):
    """PNG, GIF, BMP and WebP data under a .jpg name decode by their content."""
    path = tmp_path / f"really-{format_name.lower()}.jpg"
    options = {"lossless": True} if format_name == "WEBP" else {}
    upright.save(path, format=format_name, **options)

    decoded = decode_image(path)

    assert decoded.format == format_name
    assert decoded.image.size == upright.size
    assert load_image(path, SIZE).shape == (150, 150, 3)
    if format_name == "GIF":
        # GIF stores at most 256 colours.
        assert mean_abs_difference(decoded.image, upright) < 12
    else:
        assert np.array_equal(np.asarray(decoded.image), np.asarray(upright))


def test_png_named_jpg_decodes(photo, tmp_path):
    path = tmp_path / "really-a-png.jpg"
    Image.open(photo).save(path, format="PNG")
    assert decode_image(path).format == "PNG"
    assert load_image(path, SIZE).shape == (150, 150, 3)


def test_progressive_jpeg(upright, tmp_path):
    path = tmp_path / "progressive.jpg"
    upright.save(path, progressive=True, quality=95)

    decoded = decode_image(path)

    with Image.open(path) as written:
        assert written.info.get("progressive") == 1
    assert decoded.image.size == upright.size
    assert mean_abs_difference(decoded.image, upright) < 3


def test_cmyk_jpeg_colours_kept(upright, tmp_path):
    path = tmp_path / "cmyk.jpg"
    upright.convert("CMYK").save(path, quality=95)

    decoded = decode_image(path)

    assert decoded.image.mode == "RGB"
    # Close to the photo, and not inverted as a misread Adobe CMYK file would be.
    assert mean_abs_difference(decoded.image, upright) < 4
    assert mean_abs_difference(decoded.image, 255 - np.asarray(upright)) > 40


def test_grayscale_jpeg_three_equal_channels(upright, tmp_path):
    path = tmp_path / "gray.jpg"
    gray = upright.convert("L")
    gray.save(path, quality=95)

    array = np.asarray(decode_image(path).image)

    assert array.shape == (upright.height, upright.width, 3)
    assert np.array_equal(array[..., 0], array[..., 1])
    assert np.array_equal(array[..., 0], array[..., 2])
    assert mean_abs_difference(array[..., 0], gray) < 3


def test_grayscale_16bit_scaled_not_clipped(tmp_path):
    path = tmp_path / "gray16.png"
    samples = np.full((8, 8), 32768, dtype=np.uint16)  # mid-grey in 16 bits
    Image.fromarray(samples).save(path)
    array = load_image(path, (8, 8))
    assert array.shape == (8, 8, 3)
    assert int(array[0, 0, 0]) == 128


def test_grayscale_16bit_photo_scaled(upright, tmp_path):
    """A 16-bit PNG of a photo decodes to the photo's 8-bit grey levels, none clipped to white."""
    gray = np.asarray(upright.convert("L"))
    path = tmp_path / "gray16-photo.png"
    Image.fromarray(gray.astype(np.uint16) * 257).save(path)
    with Image.open(path) as written:
        # Samples above 255 would all turn white if they were clipped.
        assert (np.asarray(written) > 255).mean() > 0.5

    array = np.asarray(decode_image(path).image)

    assert np.array_equal(array[..., 0], gray)
    assert np.array_equal(array[..., 2], gray)


def test_alpha_composited_on_background(tmp_path):
    path = tmp_path / "transparent.png"
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(path)
    array = load_image(path, (10, 10))
    assert (array == np.array(BACKGROUND_RGB, dtype=np.uint8)).all()


def test_rgba_photo_composited_on_white(upright, tmp_path):
    """Transparent, half-transparent and opaque bands of a photo get the documented blend with white."""
    photo = np.asarray(upright.crop((0, 0, 90, 60))).astype(np.int64)
    alpha = np.zeros((60, 90), dtype=np.uint8)
    alpha[:, 30:60] = 128
    alpha[:, 60:] = 255
    path = tmp_path / "rgba.png"
    Image.fromarray(np.dstack([photo, alpha]).astype(np.uint8), "RGBA").save(path)

    array = np.asarray(decode_image(path).image).astype(np.int64)

    assert BACKGROUND_RGB == (255, 255, 255)
    assert (array[:, :30] == 255).all()
    assert np.array_equal(array[:, 60:], photo[:, 60:])
    blended = (photo[:, 30:60] * 128 + 255 * 127) / 255
    assert np.abs(array[:, 30:60] - blended).max() <= 1


def test_palette_png_transparent_index(upright, tmp_path):
    """A palette PNG's transparent index becomes white and every other index its palette colour."""
    palette_image = upright.crop((0, 0, 80, 60)).quantize(colors=16)
    indices = np.asarray(palette_image)
    transparent_index = int(indices[0, 0])
    path = tmp_path / "palette.png"
    palette_image.save(path, transparency=transparent_index)

    array = np.asarray(decode_image(path).image)

    colours = np.array(palette_image.getpalette(), dtype=np.uint8).reshape(-1, 3)
    expected = colours[indices]
    expected[indices == transparent_index] = BACKGROUND_RGB
    assert (indices == transparent_index).any()
    assert np.array_equal(array, expected)


def test_palette_png_partial_alpha(upright, tmp_path):
    """A palette PNG with one alpha value per index blends each pixel with white by that alpha."""
    palette_image = upright.crop((0, 0, 80, 60)).quantize(colors=4)
    alphas = [0, 64, 192, 255]
    path = tmp_path / "palette-alpha.png"
    palette_image.save(path, transparency=bytes(alphas))

    array = np.asarray(decode_image(path).image).astype(np.float64)

    indices = np.asarray(palette_image)
    colours = np.array(palette_image.getpalette(), dtype=np.float64).reshape(-1, 3)
    alpha = np.array(alphas, dtype=np.float64)[indices][..., np.newaxis] / 255
    expected = colours[indices] * alpha + 255 * (1 - alpha)
    assert np.abs(array - expected).max() <= 1


def test_rgb_png_colour_key_composited(upright, tmp_path):
    """Regression: an RGB PNG's transparent colour (tRNS chunk) was shown as that colour, not white."""
    array = np.asarray(upright.crop((0, 0, 40, 30))).copy()
    key = (1, 2, 3)
    array[:10] = key
    path = tmp_path / "colour-key.png"
    Image.fromarray(array).save(path, transparency=key)

    decoded = np.asarray(decode_image(path).image)

    assert (decoded[:10] == 255).all()
    assert np.array_equal(decoded[10:], array[10:])


def test_animated_gif_first_frame(upright, tmp_path):
    frames = [upright, upright.transpose(Image.Transpose.ROTATE_180), Image.new("RGB", upright.size, "red")]
    path = tmp_path / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)

    decoded = decode_image(path)

    assert decoded.frame_count == 3
    assert decoded.notes == ("first of 3 frames used",)
    assert mean_abs_difference(decoded.image, frames[0]) < 12
    assert mean_abs_difference(decoded.image, frames[1]) > 20


def test_animated_webp_first_frame(upright, tmp_path):
    second = upright.transpose(Image.Transpose.ROTATE_180)
    path = tmp_path / "animated.webp"
    upright.save(path, save_all=True, append_images=[second], duration=100, lossless=True)

    decoded = decode_image(path)

    assert decoded.format == "WEBP"
    assert decoded.notes == ("first of 2 frames used",)
    assert np.array_equal(np.asarray(decoded.image), np.asarray(upright))


def test_multipage_tiff_first_page(upright, tmp_path):
    second = upright.transpose(Image.Transpose.ROTATE_180)
    path = tmp_path / "pages.tif"
    upright.save(path, save_all=True, append_images=[second])

    decoded = decode_image(path)

    assert decoded.format == "TIFF"
    assert decoded.frame_count == 2
    assert decoded.notes == ("first of 2 frames used",)
    assert np.array_equal(np.asarray(decoded.image), np.asarray(upright))


def test_mpo_first_picture(upright, tmp_path):
    """A JPEG with multi-picture data (as some cameras write) decodes its first picture."""
    path = tmp_path / "stereo.jpg"
    upright.save(path, format="MPO", save_all=True, append_images=[Image.new("RGB", upright.size, "red")])

    decoded = decode_image(path)

    assert decoded.format == "MPO"
    assert decoded.notes == ("first of 2 frames used",)
    assert mean_abs_difference(decoded.image, upright) < 3


@pytest.mark.parametrize("lossless", [True, False])
def test_webp(upright, tmp_path, lossless):
    path = tmp_path / "photo.webp"
    upright.save(path, lossless=lossless, quality=90)

    decoded = decode_image(path)

    assert decoded.format == "WEBP"
    if lossless:
        assert np.array_equal(np.asarray(decoded.image), np.asarray(upright))
    else:
        assert mean_abs_difference(decoded.image, upright) < 4


def test_one_pixel_image(upright, tmp_path):
    pixel = upright.resize((1, 1), Image.Resampling.BOX)
    path = tmp_path / "one-pixel.png"
    pixel.save(path)

    array = load_image(path, SIZE)

    assert array.shape == (150, 150, 3)
    assert (array == np.asarray(pixel)[0, 0]).all()


def test_very_wide_image(upright, tmp_path):
    """A 20,000x20 strip loads at the model size with the strip's mean colour."""
    strip = upright.resize((20_000, 20), Image.Resampling.BILINEAR)
    path = tmp_path / "strip.png"
    strip.save(path)

    decoded = decode_image(path)
    array = load_image(path, SIZE)

    assert decoded.original_size == (20_000, 20)
    assert array.shape == (150, 150, 3)
    assert np.abs(array.mean(axis=(0, 1)) - np.asarray(strip).mean(axis=(0, 1))).max() < 2


def test_path_with_spaces_and_non_ascii(photo, tmp_path):
    folder = tmp_path / "Photos de vacances – été"
    folder.mkdir()
    path = folder / "chat noir 猫 ß.jpg"
    shutil.copy(photo, path)

    found, skipped = find_image_files([folder])

    assert found == [path]
    assert skipped == 0
    assert np.array_equal(load_image(path, SIZE), load_image(photo, SIZE))


def test_non_ascii_path_named_in_error(tmp_path):
    path = tmp_path / "dossier été" / "notes 猫.png"
    path.parent.mkdir()
    path.write_text("pas une image", encoding="utf-8")

    with pytest.raises(ImageLoadError) as caught:
        load_image(path, SIZE)

    assert caught.value.path == path
    assert str(path) in str(caught.value)


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
