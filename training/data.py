"""Read a folder-per-class photo set into memory for training.

Each photo is decoded once with the app's loader (`desktop.core.images`), in
parallel threads, and kept as uint8. The decoded arrays are cached in a file
keyed by the photos' paths, sizes and modification times, so a second run on
the same photos skips decoding. Files that cannot be decoded are skipped and
listed in one warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.core.datasets import LabelledFiles, class_folder_names, list_labelled_files
from desktop.core.images import ImageLoadError, load_image

logger = logging.getLogger(__name__)

# The seed of training runs, and of their held-out photos, unless --seed sets another.
DEFAULT_SEED = 1337

# Bump when the loader's output for the same file changes, to invalidate caches.
LOADER_VERSION = 1


class DataError(Exception):
    """A data folder that cannot be trained on, with the reason and the fix."""


@dataclass
class DecodedSet:
    """Decoded photos of one split: uint8 (n, height, width, 3) and label indices."""

    images: np.ndarray
    targets: np.ndarray
    paths: list[str]
    labels: list[str]
    skipped: list[tuple[str, str]]

    def __len__(self) -> int:
        return len(self.targets)


def find_splits(data_dir: str | os.PathLike) -> tuple[Path, Path | None]:
    """Locate `train/` and `validation/` under `data_dir`.

    Returns:
        (train folder, validation folder or None). When `data_dir` has no
        `train/` sub-folder, `data_dir` itself is the training folder.

    Raises:
        DataError: the folder does not exist.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"data folder not found: {data_dir}; pass --data with a folder of class sub-folders")
    train_dir = data_dir / "train"
    if not train_dir.is_dir():
        return data_dir, None
    validation_dir = data_dir / "validation"
    return train_dir, validation_dir if validation_dir.is_dir() else None


def class_labels(train_dir: Path) -> list[str]:
    """Class labels of a training folder: its sorted sub-folder names.

    Raises:
        DataError: fewer than two class folders.
    """
    labels = class_folder_names(train_dir)
    if len(labels) < 2:
        raise DataError(
            f"{train_dir} has {len(labels)} class folder(s) {labels}; a classifier needs at least "
            "two, one sub-folder of photos per class"
        )
    return labels


def decode_files(
    files: LabelledFiles,
    image_size: tuple[int, int],
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> DecodedSet:
    """Decode every file with the shared loader, skipping the ones that fail.

    Args:
        files: the photos and their label indices.
        image_size: (height, width) of the model input.
        cache_dir: folder for the decoded-array cache; None disables it.
        workers: decoding threads (Pillow releases the GIL while decoding).
    """
    key = _cache_key(files, image_size)
    cache_path = cache_dir / f"decoded-{key}.npz" if cache_dir else None
    if cache_path is not None and cache_path.is_file():
        cached = _read_cache(cache_path, files.labels)
        if cached is not None:
            logger.info("Read %d decoded photos from cache %s", len(cached), cache_path)
            return cached

    def decode(path: Path) -> np.ndarray | ImageLoadError:
        try:
            return load_image(path, image_size)
        except ImageLoadError as error:
            return error

    with ThreadPoolExecutor(max_workers=workers or min(8, (os.cpu_count() or 1) * 2)) as pool:
        results = list(pool.map(decode, files.paths))

    images, targets, paths, skipped = [], [], [], []
    for path, target, result in zip(files.paths, files.targets, results):
        if isinstance(result, ImageLoadError):
            skipped.append((str(path), result.reason))
            continue
        images.append(result)
        targets.append(target)
        paths.append(str(path))

    decoded = DecodedSet(
        images=np.stack(images) if images else np.zeros((0, *image_size, 3), np.uint8),
        targets=np.asarray(targets, dtype=np.int64),
        paths=paths,
        labels=list(files.labels),
        skipped=skipped,
    )
    if cache_path is not None:
        _write_cache(cache_path, decoded)
    return decoded


def load_split(
    folder: Path, labels: list[str], image_size: tuple[int, int], cache_dir: Path | None
) -> DecodedSet:
    """List, decode and check one split folder (`train/` or `validation/`).

    Logs one warning listing every skipped file with its reason.

    Raises:
        DataError: a class folder has no usable photo.
    """
    files = list_labelled_files(folder, labels)
    decoded = decode_files(files, image_size, cache_dir)
    if decoded.skipped:
        listing = "\n".join(f"  {path}: {reason}" for path, reason in decoded.skipped)
        logger.warning("Skipped %d unreadable file(s) in %s:\n%s", len(decoded.skipped), folder, listing)

    counts = np.bincount(decoded.targets, minlength=len(labels))
    empty = [label for label, count in zip(labels, counts) if count == 0]
    if empty:
        raise DataError(
            f"no usable photo in class folder(s) {empty} under {folder}; add photos or remove the folder"
        )
    return decoded


def holdout_mask(targets: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Mark a stratified `fraction` of each class, drawn with `seed`, as held out.

    Training (`split_holdout`) and `training.evaluate --holdout` both call
    this on the photos that decode, in folder order, so they agree on the
    held-out photos.
    """
    targets = np.asarray(targets)
    rng = np.random.default_rng(seed)
    held_out = np.zeros(len(targets), dtype=bool)
    for target in np.unique(targets):
        members = np.flatnonzero(targets == target)
        n_holdout = max(1, round(len(members) * fraction)) if len(members) > 1 else 0
        held_out[rng.choice(members, size=n_holdout, replace=False)] = True
    return held_out


def split_holdout(decoded: DecodedSet, fraction: float, seed: int) -> tuple[DecodedSet, DecodedSet]:
    """Split off a stratified `fraction` of each class as a validation set."""
    held_out = holdout_mask(decoded.targets, fraction, seed)
    return _subset(decoded, ~held_out), _subset(decoded, held_out)


def class_balance_message(decoded: DecodedSet) -> str | None:
    """Build a warning when the largest class has over 1.5 times the photos of the smallest."""
    counts = np.bincount(decoded.targets, minlength=len(decoded.labels))
    if counts.min() * 1.5 >= counts.max():
        return None
    listing = ", ".join(f"{label}: {count}" for label, count in zip(decoded.labels, counts))
    return f"classes are imbalanced ({listing}); accuracy will favour the larger classes"


def _subset(decoded: DecodedSet, mask: np.ndarray) -> DecodedSet:
    return DecodedSet(
        images=decoded.images[mask],
        targets=decoded.targets[mask],
        paths=[path for path, keep in zip(decoded.paths, mask) if keep],
        labels=decoded.labels,
        skipped=[],
    )


def _cache_key(files: LabelledFiles, image_size: tuple[int, int]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([LOADER_VERSION, list(image_size), files.labels]).encode())
    for path, target in zip(files.paths, files.targets):
        try:
            stat = path.stat()
            entry = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{target}\n"
        except OSError:
            entry = f"{path}|missing|{target}\n"
        digest.update(entry.encode())
    return digest.hexdigest()[:24]


def _write_cache(path: Path, decoded: DecodedSet) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(
        temporary,
        images=decoded.images,
        targets=decoded.targets,
        paths=np.asarray(decoded.paths, dtype=str),
        labels=np.asarray(decoded.labels, dtype=str),
        skipped=np.asarray([json.dumps(item) for item in decoded.skipped], dtype=str),
    )
    os.replace(temporary, path)


def _read_cache(path: Path, labels: list[str]) -> DecodedSet | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if list(data["labels"]) != labels:
                return None
            return DecodedSet(
                images=data["images"],
                targets=data["targets"],
                paths=[str(p) for p in data["paths"]],
                labels=labels,
                skipped=[tuple(json.loads(item)) for item in data["skipped"]],
            )
    except (OSError, ValueError, KeyError) as error:
        logger.warning("Ignoring unreadable cache %s (%s)", path, error)
        return None
