"""The app given a whole folder of odd and broken files at once."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from test_app_support import (  # noqa: F401 - fixtures are found by name
    classifier,
    drop_files,
    isolated_settings,
    wait_until_idle,
    window,
)
from test_bad_inputs import write_single_colour_png

from desktop.ui.photo_queue import PhotoStatus


def build_corpus(photo, folder):
    """Write the corpus; return {file name: expected reason fragment, or None for a good photo}."""
    folder.mkdir()
    source = Image.open(photo).convert("RGB")
    small = source.resize((160, 120))
    expected = {}

    def good(name, image, **save):
        image.save(folder / name, **save)
        expected[name] = None

    good("png inside.jpg", source, format="PNG")
    good("gif inside.jpg", source, format="GIF")
    good("bmp inside.jpg", source, format="BMP")
    good("cmyk.jpg", source.convert("CMYK"), format="JPEG")
    good("grey.jpg", source.convert("L"), format="JPEG")
    good("grey16.png", Image.fromarray(np.asarray(source.convert("L"), dtype=np.uint16) * 257))
    rgba = source.convert("RGBA")
    rgba.putalpha(128)
    good("rgba.png", rgba)
    good("palette.png", source.convert("P"), transparency=0)
    frames = [small, small.rotate(90), small.rotate(180)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:])
    expected["animated.gif"] = None
    frames[0].save(folder / "pages.tif", save_all=True, append_images=frames[1:])
    expected["pages.tif"] = None
    good("photo.webp", source, format="WEBP")
    exif = Image.Exif()
    exif[0x0112] = 6
    good("rotated.jpg", source.transpose(Image.Transpose.ROTATE_90), exif=exif)
    good("one pixel.png", Image.new("RGB", (1, 1), (200, 100, 50)))
    good("strip.png", Image.new("RGB", (20_000, 20), (10, 200, 10)))
    good("Kätzchen ünd 猫.jpg", source, format="JPEG")

    (folder / "empty.jpg").write_bytes(b"")
    expected["empty.jpg"] = "empty"
    (folder / "truncated.jpg").write_bytes(photo.read_bytes()[:2000])
    expected["truncated.jpg"] = "truncated"
    (folder / "random.jpg").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    expected["random.jpg"] = "not an image"
    (folder / "notes.png").write_text("this is text, not a picture")
    expected["notes.png"] = "not an image"
    write_single_colour_png(folder / "bomb.png", 30_000, 30_000)
    expected["bomb.png"] = "too large"
    os.symlink("loop.jpg", folder / "loop.jpg")
    expected["loop.jpg"] = "symbolic links"
    return expected


def test_whole_corpus_dropped_at_once(qtbot, window, classifier, photo_paths, tmp_path):
    expected = build_corpus(photo_paths["cat"][0], tmp_path / "corpus")
    drop_files(window, [tmp_path / "corpus"])
    wait_until_idle(qtbot, window)

    entries = {entry.name: entry for entry in window.queue.entries()}
    assert sorted(entries) == sorted(expected)
    for name, reason in expected.items():
        entry = entries[name]
        if reason is None:
            assert entry.status is PhotoStatus.DONE, f"{name}: {entry.error}"
            expected_label = classifier.classify_file(tmp_path / "corpus" / name).label
            assert entry.summary.label == expected_label, name
        else:
            assert entry.status is PhotoStatus.FAILED, name
            assert reason in entry.error.lower(), f"{name}: {entry.error}"

    # The app still works: a good photo dropped afterwards is classified.
    drop_files(window, [photo_paths["dog"][0]])
    wait_until_idle(qtbot, window)
    assert window.queue.entries()[-1].status is PhotoStatus.DONE
