"""Expand dropped files and folders into photos, with true labels where folders give them.

A dropped folder with a sub-folder named after a model label (such as
`validation/` with `cat/` and `dog/`) is a labelled set: each photo under
`<folder>/<label>/` has that label as its true label, as in
`training.evaluate`. No Qt here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from desktop.core.datasets import class_folder_names, find_image_files, list_labelled_files
from desktop.core.images import IMAGE_SUFFIXES, is_hidden_file


@dataclass(frozen=True)
class PhotoSource:
    """One photo to classify, and its true label when a labelled folder gives one."""

    path: Path
    true_label: str | None = None


@dataclass
class PhotoCollection:
    """The photos found in a drop, in a stable order."""

    photos: list[PhotoSource] = field(default_factory=list)
    skipped: int = 0  # files left out because they are hidden or lack an image suffix
    labelled_folders: list[Path] = field(default_factory=list)


def labelled_subfolders(folder: str | os.PathLike, labels: Sequence[str]) -> list[str]:
    """List the model labels that name a visible sub-folder of `folder`, in label order.

    Names must match exactly, as `training.evaluate` requires.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    present = set(class_folder_names(folder))
    return [label for label in labels if label in present]


def collect_photos(paths: Iterable[str | os.PathLike], labels: Sequence[str]) -> PhotoCollection:
    """Expand files and folders into photos to classify.

    Files named directly are always kept, whatever their suffix, so the
    loader can report why one is not an image. Folders are walked
    recursively and only files with an image suffix are kept; the others are
    counted in `skipped`. In a labelled folder (see `labelled_subfolders`),
    photos under `<folder>/<label>/` get that true label and the folder's
    other photos get none.

    NOTE: `training.evaluate` also tries to decode files without an image
    suffix inside label folders. A photo saved as `cat/photo.dat` is counted
    there but skipped here.

    Raises:
        OSError: a folder cannot be listed.
    """
    collection = PhotoCollection()
    for item in paths:
        item = Path(item)
        present_labels = labelled_subfolders(item, labels) if item.is_dir() else []
        if not present_labels:
            found, skipped = find_image_files([item])
            collection.photos.extend(PhotoSource(path) for path in found)
            collection.skipped += skipped
            continue

        collection.labelled_folders.append(item)
        labelled = list_labelled_files(item, present_labels)
        for path, target in zip(labelled.paths, labelled.targets):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                collection.photos.append(PhotoSource(path, labelled.labels[target]))
            else:
                collection.skipped += 1

        # Hidden files inside label folders were left out by the listing
        # above, so they are counted here to match unlabelled folders.
        for label in present_labels:
            collection.skipped += _count_hidden_files(item / label)

        others = sorted(child for child in item.iterdir() if child.name not in present_labels)
        for child in others:
            if is_hidden_file(child):
                if child.is_file():
                    collection.skipped += 1
                continue
            if child.is_dir() or child.suffix.lower() in IMAGE_SUFFIXES:
                found, skipped = find_image_files([child])
                collection.photos.extend(PhotoSource(path) for path in found)
                collection.skipped += skipped
            else:
                collection.skipped += 1
    return collection


def _count_hidden_files(folder: Path) -> int:
    count = 0
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        count += sum(1 for name in names if is_hidden_file(name))
    return count
