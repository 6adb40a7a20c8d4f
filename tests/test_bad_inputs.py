"""Files the shared image loader must reject, and a short run of its fuzzer.

Each rejection must be an `ImageLoadError` whose message names the file and
the reason, and must leave nothing else affected: the file keeps its bytes,
no file descriptor stays open, and the next photo still loads.
"""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.fuzz_loader import make_seed_files, run_fuzz
from desktop.core import images
from desktop.core.datasets import find_image_files
from desktop.core.images import MAX_PIXELS, ImageLoadError, load_image

SIZE = (150, 150)

REPO_ROOT = Path(__file__).resolve().parent.parent

# Memory a rejected decompression bomb may add to a process's peak, in bytes.
# Decoding the bombs below would take 100 MB or more.
BOMB_MEMORY_BUDGET = 32 * 1024 * 1024


@pytest.fixture
def photo(photo_paths) -> Path:
    return photo_paths["cat"][0]


@pytest.fixture
def good_photo(photo_paths) -> tuple[Path, np.ndarray]:
    """A photo that must still load after a rejection, with its expected model input."""
    path = photo_paths["dog"][0]
    return path, load_image(path, SIZE)


def open_descriptors() -> set[str] | None:
    """Names of this process's open file descriptors, or None where /proc is missing."""
    folder = Path("/proc/self/fd")
    return set(os.listdir(folder)) if folder.is_dir() else None


def assert_rejected(path: Path, reason: str, good_photo: tuple[Path, np.ndarray]) -> ImageLoadError:
    """Check that loading `path` raises an ImageLoadError with `reason` and affects nothing else."""
    content = path.read_bytes() if path.is_file() and os.access(path, os.R_OK) else None
    descriptors = open_descriptors()

    with pytest.raises(ImageLoadError) as caught:
        load_image(path, SIZE)

    error = caught.value
    assert error.path == path
    assert str(error) == f"{path}: {error.reason}"
    assert reason in error.reason
    if content is not None:
        assert path.read_bytes() == content
    assert open_descriptors() == descriptors
    good_path, expected = good_photo
    assert np.array_equal(load_image(good_path, SIZE), expected)
    return error


def test_empty_file(tmp_path, good_photo):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    error = assert_rejected(path, "file is empty (0 bytes)", good_photo)
    assert error.reason == "file is empty (0 bytes)"


@pytest.mark.parametrize("kept", ["2000 bytes", "half", "all but the end marker"])
def test_truncated_jpeg(photo, tmp_path, good_photo, kept):
    """A truncated JPEG is rejected, even when only its 2-byte end-of-image marker is missing."""
    data = photo.read_bytes()
    assert data.endswith(b"\xff\xd9")
    length = {"2000 bytes": 2000, "half": len(data) // 2, "all but the end marker": len(data) - 2}[kept]
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[:length])

    error = assert_rejected(path, "truncated or corrupt image data", good_photo)

    assert "the file ends before its image does" in error.reason
    assert "bytes not processed" not in error.reason


def test_random_bytes(tmp_path, good_photo):
    path = tmp_path / "noise.jpg"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert_rejected(path, "not an image, or not in a supported format", good_photo)


def test_text_file_named_png(tmp_path, good_photo):
    path = tmp_path / "notes.png"
    path.write_text("a shopping list, not a picture\n", encoding="utf-8")
    error = assert_rejected(path, "not an image", good_photo)
    assert error.reason == "not an image, or not in a supported format (JPEG, PNG, GIF, BMP, TIFF, WEBP)"


def test_unsupported_format(photo, tmp_path, good_photo):
    """Pillow reads ICO files, but the loader offers Pillow only the supported formats."""
    path = tmp_path / "icon.jpg"
    with Image.open(photo) as image:
        image.save(path, format="ICO")
    assert_rejected(path, "not in a supported format", good_photo)


def test_folder(tmp_path, good_photo):
    path = tmp_path / "album.jpg"
    path.mkdir()
    error = assert_rejected(path, "is a folder", good_photo)
    assert error.reason == "is a folder, not an image file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_named_pipe_rejected_without_waiting(tmp_path, good_photo):
    """A FIFO named like a photo is rejected at once instead of blocking until someone writes to it."""
    path = tmp_path / "pipe.jpg"
    os.mkfifo(path)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            load_image(path, SIZE)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread below
            outcome.append(error)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=10)

    assert not worker.is_alive(), "load_image blocked on a named pipe"
    assert len(outcome) == 1
    assert isinstance(outcome[0], ImageLoadError)
    assert outcome[0].reason == "not a regular file (a device, pipe or socket)"
    assert_rejected(path, "not a regular file", good_photo)


def write_single_colour_png(path: Path, width: int, height: int) -> None:
    """Write a valid black 1-bit grayscale PNG of any size, one row at a time."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter type 0, then packed pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height", "reason"),
    [
        # Over twice Pillow's limit: Pillow raises DecompressionBombError while opening.
        (30_000, 30_000, "exceeds limit of"),
        # Between the limit and twice the limit: the loader's own header check.
        (10_000, 10_000, f"10000x10000 pixels, the limit is {MAX_PIXELS:,} pixels"),
    ],
)
def test_decompression_bomb_rejected_from_header(tmp_path, good_photo, width, height, reason):
    """A small PNG that claims a huge size is rejected before its pixels are decoded.

    tracemalloc cannot show this because Pillow allocates pixels with C
    malloc, so a child process decodes the file and reports how much its
    peak resident memory grew.
    """
    pytest.importorskip("resource", reason="peak memory is read with the Unix resource module")
    path = tmp_path / "bomb.png"
    write_single_colour_png(path, width, height)
    assert path.stat().st_size < 1_000_000
    assert width * height > MAX_PIXELS

    error = assert_rejected(path, "image is too large", good_photo)
    assert reason in error.reason

    script = textwrap.dedent(
        """
        import resource, sys
        from desktop.core.images import ImageLoadError, decode_image
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            decode_image(sys.argv[1])
            print("decoded")
        except ImageLoadError as error:
            print("rejected")
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True, text=True, cwd=REPO_ROOT, env=environment, timeout=120, check=True,
    )
    outcome, growth = result.stdout.split()
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    growth_bytes = int(growth) * (1 if sys.platform == "darwin" else 1024)
    assert outcome == "rejected"
    assert growth_bytes < BOMB_MEMORY_BUDGET


def test_file_deleted_after_listing(photo_paths, tmp_path, good_photo):
    folder = tmp_path / "drop"
    folder.mkdir()
    for source in photo_paths["cat"][:3]:
        shutil.copy(source, folder / source.name)
    found, skipped = find_image_files([folder])
    assert len(found) == 3
    assert skipped == 0

    found[1].unlink()

    assert load_image(found[0], SIZE).shape == (150, 150, 3)
    error = assert_rejected(found[1], "file not found", good_photo)
    assert error.reason == "file not found; check the path, or whether the file was moved or deleted"
    assert load_image(found[2], SIZE).shape == (150, 150, 3)


def test_unreadable_file(photo, tmp_path, good_photo):
    """A file without read permission is rejected, except for root, whom permission bits do not stop."""
    path = tmp_path / "private.jpg"
    shutil.copy(photo, path)
    path.chmod(0)
    try:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # The test suite runs as root in some containers. Root reads the
            # file regardless of its mode, so it must load like the original.
            assert np.array_equal(load_image(path, SIZE), load_image(photo, SIZE))
        else:
            error = assert_rejected(path, "permission denied", good_photo)
            assert error.reason == "permission denied; check the file's read permission"
    finally:
        path.chmod(0o644)


def test_permission_error_reported(photo, tmp_path, monkeypatch):
    """The operating system's permission error becomes the permission-denied reason, for any user."""
    path = tmp_path / "private.jpg"
    shutil.copy(photo, path)

    class DeniedOpen:
        """The os module as the loader uses it, except that open() raises PermissionError."""

        def __getattr__(self, name):
            return getattr(os, name)

        @staticmethod
        def open(file, flags, mode=0o777):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))

    monkeypatch.setattr(images, "os", DeniedOpen())
    with pytest.raises(ImageLoadError) as caught:
        load_image(path, SIZE)
    monkeypatch.undo()

    assert caught.value.path == path
    assert caught.value.reason == "permission denied; check the file's read permission"
    assert np.array_equal(load_image(path, SIZE), load_image(photo, SIZE))


def test_symbolic_link_loops(photo, tmp_path, good_photo):
    """Link loops in a dropped folder end the walk, are listed once each, and load as errors."""
    folder = tmp_path / "drop"
    (folder / "inner").mkdir(parents=True)
    shutil.copy(photo, folder / "inner" / "cat.jpg")
    (folder / "inner" / "back-to-top").symlink_to(folder, target_is_directory=True)
    (folder / "self.jpg").symlink_to(folder / "self.jpg")
    (folder / "ping.jpg").symlink_to(folder / "pong.jpg")
    (folder / "pong.jpg").symlink_to(folder / "ping.jpg")

    result: list[tuple[list[Path], int]] = []
    walker = threading.Thread(target=lambda: result.append(find_image_files([folder])), daemon=True)
    walker.start()
    walker.join(timeout=30)
    assert not walker.is_alive(), "find_image_files did not finish on a folder with link loops"

    found, skipped = result[0]
    copy = folder / "inner" / "cat.jpg"
    loops = [folder / "ping.jpg", folder / "pong.jpg", folder / "self.jpg"]
    # The folder link is not followed, so the photo appears once.
    assert found == sorted([copy, *loops])
    assert skipped == 0
    for loop in loops:
        error = assert_rejected(loop, "cannot open file", good_photo)
        assert "symbolic links" in error.reason
    assert np.array_equal(load_image(copy, SIZE), load_image(photo, SIZE))


def test_broken_symbolic_link(tmp_path, good_photo):
    path = tmp_path / "moved.jpg"
    path.symlink_to(tmp_path / "nowhere.jpg")
    assert_rejected(path, "file not found", good_photo)


def small_frames(photo: Path) -> list[Image.Image]:
    with Image.open(photo) as image:
        first = image.convert("RGB")
    first.thumbnail((64, 64))
    return [first, first.transpose(Image.Transpose.ROTATE_180)]


@pytest.mark.parametrize("cut_into", ["image descriptor", "local colour table"])
def test_gif_truncated_in_second_frame(photo, tmp_path, good_photo, cut_into):
    """Regression: counting the frames of a GIF cut inside its second frame's header raised
    struct.error (descriptor) or IndexError (colour table) instead of ImageLoadError.
    """
    first, second = small_frames(photo)
    buffer = io.BytesIO()
    first.save(buffer, format="GIF", save_all=True, append_images=[second])
    data = buffer.getvalue()
    descriptor = b"\x2c" + struct.pack("<HHHH", 0, 0, first.width, first.height)
    starts = [match.start() for match in re.finditer(re.escape(descriptor), data)]
    assert len(starts) == 2
    assert data[starts[1] + 9] & 0x80, "the second frame should carry a local colour table"
    cut = starts[1] + (4 if cut_into == "image descriptor" else 10 + 100)
    path = tmp_path / "cut.gif"
    path.write_bytes(data[:cut])

    error = assert_rejected(path, "truncated or corrupt image data (while counting frames", good_photo)
    assert error.path == path


# Pillow warns that the cut directory's tags are missing before the loader rejects the file.
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_tiff_truncated_in_second_page(photo, tmp_path, good_photo):
    """Regression: counting the pages of a TIFF cut inside its second page's directory raised
    TypeError("Missing dimensions") instead of ImageLoadError.
    """
    first, second = small_frames(photo)
    buffer = io.BytesIO()
    first.save(buffer, format="TIFF", save_all=True, append_images=[second])
    data = buffer.getvalue()
    assert data[:4] == b"II*\x00"
    first_directory = struct.unpack_from("<I", data, 4)[0]
    entries = struct.unpack_from("<H", data, first_directory)[0]
    second_directory = struct.unpack_from("<I", data, first_directory + 2 + 12 * entries)[0]
    assert 0 < second_directory < len(data)
    path = tmp_path / "cut.tif"
    path.write_bytes(data[: second_directory + 2])

    assert_rejected(path, "truncated or corrupt image data (while counting frames", good_photo)


def test_fuzz_short_run(photo_paths, tmp_path):
    """200 mutated inputs: each decodes or raises ImageLoadError, and both outcomes occur."""
    seeds = make_seed_files([photo_paths["cat"][0], photo_paths["dog"][0]])

    report = run_fuzz(seeds, count=200, save_dir=tmp_path, random_seed=1)

    assert report.failures == []
    assert report.total == 200
    assert report.outcomes["decoded"] > 0
    assert sum(n for outcome, n in report.outcomes.items() if outcome.startswith("rejected: ")) > 0
    assert list(tmp_path.iterdir()) == []
