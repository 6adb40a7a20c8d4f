"""Fuzz the shared image loader with mutated bytes of real photos.

Every input must either decode or raise `ImageLoadError`. Any other exception
is a loader bug: the script names it, saves the input that raised it and exits
with status 1. Hypothesis draws the mutations: bit flips, overwritten integers,
truncation, deleted or repeated ranges, and chunks spliced in from another
file. They apply to JPEG, PNG, GIF, TIFF, BMP and WebP files encoded from real
photos, and to the photos' original JPEG bytes.

Run from the repository root:

    python -m benchmarks.fuzz_loader --count 10000 --save-failures fuzz-failures

A crash of the interpreter itself (for example a segmentation fault in a
decoder) cannot be caught. The input being decoded is then left in the
failures folder as `current-input`, and faulthandler prints the traceback.
"""

from __future__ import annotations

import argparse
import faulthandler
import hashlib
import io
import os
import sys
import tempfile
import time
import traceback
import warnings
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from PIL import Image

from desktop.core.images import ImageLoadError, decode_image, load_image

REPO_ROOT = Path(__file__).resolve().parent.parent

# The same photo folder the tests read, overridable the same way.
DEFAULT_DATA_DIR = Path(
    os.environ.get("CNN_LENS_DATA", REPO_ROOT.parent / "shared" / "data" / "cats-vs-dogs")
)

# Longer side of the re-encoded seed files, in pixels. Small files decode in
# about a millisecond, and a mutation is more likely to hit a header.
SEED_MAX_SIDE = 64

# Model input sizes passed to `load_image`: the shipped model's, and a small
# non-square one so that the JPEG draft mode also scales by 1/4 and 1/8.
LOAD_SIZES = ((150, 150), (24, 40))

# Values that often sit on a parser's boundary, written over 1, 2 or 4 bytes.
BOUNDARY_VALUES = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Failures printed at the end; every one is saved either way.
MAX_LISTED_FAILURES = 20


@dataclass
class FuzzReport:
    """Outcome counts of a fuzz run and the inputs that raised something else."""

    outcomes: Counter = field(default_factory=Counter)
    failures: list[tuple[str, Path]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    def record_failure(self, error: Exception, data: bytes, save_dir: Path) -> None:
        """Count an exception other than `ImageLoadError` and save its input and traceback."""
        name = type(error).__name__
        self.outcomes[f"other exception: {name}"] += 1
        digest = hashlib.sha1(data).hexdigest()[:12]
        saved = save_dir / f"{name}-{digest}.bin"
        saved.write_bytes(data)
        saved.with_suffix(".txt").write_text("".join(traceback.format_exception(error)))
        self.failures.append((f"{name}: {error}", saved))


def make_seed_files(photos: list[Path]) -> dict[str, bytes]:
    """Build the files that mutations start from, keyed by a descriptive name.

    Each photo contributes its original JPEG bytes. The first photo, shrunk to
    `SEED_MAX_SIDE`, is also encoded in every supported format and in the
    variants the loader treats specially: EXIF orientation, progressive JPEG,
    CMYK, transparency, 16-bit samples, several frames.
    """
    seeds = {f"original-{path.name}": path.read_bytes() for path in photos}

    with Image.open(photos[0]) as photo:
        small = photo.convert("RGB")
    small.thumbnail((SEED_MAX_SIDE, SEED_MAX_SIDE))
    rotated = small.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6

    gray16 = Image.fromarray(np.asarray(small.convert("L")).astype(np.uint16) * 257)
    rgba = small.convert("RGBA")
    rgba.putalpha(small.convert("L"))

    encodings = {
        "exif-orientation.jpg": (small, {"format": "JPEG", "exif": exif}),
        "progressive.jpg": (small, {"format": "JPEG", "progressive": True}),
        "cmyk.jpg": (small.convert("CMYK"), {"format": "JPEG"}),
        "rgb.png": (small, {"format": "PNG", "exif": exif}),
        "rgba.png": (rgba, {"format": "PNG"}),
        "palette.png": (small.convert("P"), {"format": "PNG", "transparency": 0}),
        "gray16.png": (gray16, {"format": "PNG"}),
        "animated.gif": (small, {"format": "GIF", "save_all": True, "append_images": [rotated]}),
        "pages.tif": (small, {"format": "TIFF", "save_all": True, "append_images": [rotated], "exif": exif}),
        "image.bmp": (small, {"format": "BMP"}),
        "image.webp": (small, {"format": "WEBP", "exif": exif}),
    }
    for name, (image, options) in encodings.items():
        buffer = io.BytesIO()
        image.save(buffer, **options)
        seeds[name] = buffer.getvalue()
    return seeds


def mutation_strategy() -> st.SearchStrategy:
    """Build the strategy for one mutation, a tuple of its kind and its integer arguments."""
    offset = st.integers(min_value=0, max_value=2**31)
    return st.one_of(
        st.tuples(st.just("flip_bit"), offset, st.integers(0, 7)),
        st.tuples(
            st.just("write_value"),
            offset,
            st.sampled_from(BOUNDARY_VALUES),
            st.sampled_from((1, 2, 4)),  # width in bytes
            st.booleans(),  # big-endian
        ),
        st.tuples(st.just("truncate"), offset),
        st.tuples(st.just("delete_range"), offset, st.integers(1, 256)),
        st.tuples(st.just("repeat_range"), offset, st.integers(1, 256)),
        st.tuples(st.just("splice"), offset, offset, st.integers(1, 512), offset),
        st.tuples(st.just("fix_png_crcs")),
    )


def apply_mutation(data: bytes, mutation: tuple, seeds: list[bytes]) -> bytes:
    """Apply one mutation from `mutation_strategy`. Offsets wrap around the data's length."""
    kind, *arguments = mutation
    if not data:
        return data
    length = len(data)

    if kind == "flip_bit":
        offset, bit = arguments
        position = offset % length
        return data[:position] + bytes([data[position] ^ (1 << bit)]) + data[position + 1:]
    if kind == "write_value":
        offset, value, width, big_endian = arguments
        encoded = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "big" if big_endian else "little")
        position = offset % length
        return data[:position] + encoded + data[position + width:]
    if kind == "truncate":
        return data[: arguments[0] % length]
    if kind == "delete_range":
        offset, size = arguments
        position = offset % length
        return data[:position] + data[position + size:]
    if kind == "repeat_range":
        offset, size = arguments
        position = offset % length
        return data[:position + size] + data[position:]
    if kind == "splice":
        source_index, source_offset, size, target_offset = arguments
        source = seeds[source_index % len(seeds)]
        start = source_offset % len(source)
        position = target_offset % length
        return data[:position] + source[start:start + size] + data[position:]
    if kind == "fix_png_crcs":
        return fix_png_crcs(data)
    raise ValueError(f"unknown mutation kind {kind!r}")


def fix_png_crcs(data: bytes) -> bytes:
    """Rewrite every PNG chunk's CRC so that mutations reach the decoder.

    Pillow rejects a chunk whose CRC does not match, so without this almost
    every mutated PNG stops at the first damaged chunk. Data that is not a
    PNG is returned unchanged.
    """
    if not data.startswith(PNG_SIGNATURE):
        return data
    output = bytearray(data[:8])
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        end = position + 8 + length
        if end + 4 > len(data):
            break
        body = data[position + 4:end]  # chunk type and chunk data
        output += data[position:end] + zlib.crc32(body).to_bytes(4, "big")
        position = end + 4
    output += data[position:]
    return bytes(output)


def run_fuzz(seeds: dict[str, bytes], count: int, save_dir: Path, random_seed: int = 0) -> FuzzReport:
    """Decode `count` mutated inputs and count the outcomes.

    Args:
        seeds: files to mutate, as from `make_seed_files`.
        count: number of inputs Hypothesis generates.
        save_dir: existing folder for the work file and for inputs that raise
            anything but `ImageLoadError`.
        random_seed: Hypothesis seed. The same seeds, count and random seed
            give the same inputs.

    Returns:
        A `FuzzReport`. Outcomes are "decoded", "rejected: <reason>" and
        "other exception: <type>".
    """
    report = FuzzReport()
    seed_names = sorted(seeds)
    seed_bytes = [seeds[name] for name in seed_names]
    work_file = save_dir / "current-input"

    @seed(random_seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        seed_index=st.integers(0, len(seed_names) - 1),
        mutations=st.lists(mutation_strategy(), min_size=1, max_size=4),
        load_size=st.sampled_from((None, *LOAD_SIZES)),
    )
    def decode_mutated(seed_index: int, mutations: list[tuple], load_size: tuple[int, int] | None) -> None:
        data = seed_bytes[seed_index]
        for mutation in mutations:
            data = apply_mutation(data, mutation, seed_bytes)
        work_file.write_bytes(data)

        try:
            if load_size is None:
                decode_image(work_file)
            else:
                load_image(work_file, load_size)
        except ImageLoadError as error:
            report.outcomes[f"rejected: {_reason_kind(error.reason)}"] += 1
        except Exception as error:  # noqa: BLE001 - finding these is the point of the fuzzer
            report.record_failure(error, data, save_dir)
        else:
            report.outcomes["decoded"] += 1

    started = time.perf_counter()
    with warnings.catch_warnings():
        # Pillow warns about the corrupt EXIF and TIFF tags it skips. They
        # are expected here and would bury the report.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        decode_mutated()
    report.seconds = time.perf_counter() - started
    work_file.unlink(missing_ok=True)
    return report


def _reason_kind(reason: str) -> str:
    # The reason up to its details: "truncated or corrupt image data (...)"
    # and "truncated or corrupt image data: ..." count as one kind.
    return reason.split(" (")[0].split(";")[0].split(":")[0]


def default_photos(data_dir: Path) -> list[Path]:
    """Return the first validation photo of each class in `data_dir`."""
    photos = []
    for label in ("cat", "dog"):
        photos += sorted((data_dir / "validation" / label).glob("*.jpg"))[:1]
    return photos


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fuzz_loader",
        description="Decode mutated copies of real photos and check that every "
        "failure is an ImageLoadError.",
    )
    parser.add_argument(
        "--count", type=int, default=10_000, help="number of mutated inputs to decode (default: 10000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis random seed (default: 0)")
    parser.add_argument(
        "--photos", type=Path, nargs="+",
        help="photos to mutate (default: the first validation photo of each class "
        f"under {DEFAULT_DATA_DIR}, or under CNN_LENS_DATA when set)",
    )
    parser.add_argument(
        "--save-failures", type=Path, metavar="FOLDER",
        help="folder for inputs that raise anything but ImageLoadError, created if "
        "missing (default: a new temporary folder)",
    )
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count must be at least 1, got {args.count}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    photos = args.photos or default_photos(DEFAULT_DATA_DIR)
    missing = [str(path) for path in photos if not path.is_file()]
    if not photos or missing:
        print(
            f"error: photos not found: {missing or DEFAULT_DATA_DIR}; pass --photos "
            "or set CNN_LENS_DATA to the photo folder",
            file=sys.stderr,
        )
        return 2

    if args.save_failures is None:
        save_dir = Path(tempfile.mkdtemp(prefix="fuzz-loader-"))
    else:
        save_dir = args.save_failures
        save_dir.mkdir(parents=True, exist_ok=True)

    faulthandler.enable()
    seeds = make_seed_files(photos)
    print(f"fuzzing {args.count} inputs mutated from {len(seeds)} seed files; failures go to {save_dir}")
    report = run_fuzz(seeds, args.count, save_dir, args.seed)

    rate = report.total / report.seconds if report.seconds else 0.0
    print(f"ran {report.total} inputs in {report.seconds:.1f} s ({rate:.0f} inputs/s)")
    for outcome, number in sorted(report.outcomes.items()):
        print(f"  {number:7d}  {outcome}")

    if report.failures:
        print(f"{len(report.failures)} inputs raised an exception other than ImageLoadError:")
        for description, saved in report.failures[:MAX_LISTED_FAILURES]:
            print(f"  {saved}: {description}")
        if len(report.failures) > MAX_LISTED_FAILURES:
            print(f"  ... and {len(report.failures) - MAX_LISTED_FAILURES} more in {save_dir}")
        return 1
    print("every input decoded or raised ImageLoadError")
    return 0


if __name__ == "__main__":
    sys.exit(main())
