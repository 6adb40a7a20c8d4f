"""Find photos on disk: class folders for training and evaluation, and the
files inside dropped folders for the app. No Qt and no TensorFlow here."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop.core.images import IMAGE_SUFFIXES, is_hidden_file


@dataclass(frozen=True)
class LabelledFiles:
    """Files of a folder-per-class photo set, with the index of each file's label."""

    labels: list[str]
    paths: list[Path]
    targets: list[int]

    def counts(self) -> dict[str, int]:
        """Number of files per label."""
        counts = dict.fromkeys(self.labels, 0)
        for target in self.targets:
            counts[self.labels[target]] += 1
        return counts


def class_folder_names(root: str | os.PathLike) -> list[str]:
    """Sorted names of the visible sub-folders of `root`: its class labels.

    Raises:
        FileNotFoundError: `root` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data folder not found: {root}")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not is_hidden_file(p))


def list_labelled_files(
    root: str | os.PathLike, labels: list[str] | None = None
) -> LabelledFiles:
    """List every visible file under `root/<label>/`, recursively.

    Args:
        root: a folder with one sub-folder per class.
        labels: the class names in model order. Defaults to the sorted
            sub-folder names. Sub-folders not in `labels` are ignored, and
            labels without a sub-folder get no files.

    Every visible file is listed, whatever its suffix: callers decode each
    one and report the ones that are not images. Hidden files such as
    `.DS_Store`, `Thumbs.db` and `._name` are left out.
    """
    root = Path(root)
    if labels is None:
        labels = class_folder_names(root)

    paths: list[Path] = []
    targets: list[int] = []
    for index, label in enumerate(labels):
        folder = root / label
        if not folder.is_dir():
            continue
        for path in sorted(_walk_files(folder)):
            paths.append(path)
            targets.append(index)
    return LabelledFiles(list(labels), paths, targets)


def find_image_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], int]:
    """Expand files and folders into image files, walking folders recursively.

    Returns:
        The image files in a stable order (files as given, then each folder's
        files sorted), and the count of files skipped because their suffix is
        not an image suffix or they are hidden. Files named directly are
        always kept, so the loader can report why one is not an image.
    """
    found: list[Path] = []
    skipped = 0
    for item in paths:
        item = Path(item)
        if not item.is_dir():
            found.append(item)
            continue
        for path in sorted(_walk_files(item, include_hidden=True)):
            if is_hidden_file(path) or path.suffix.lower() not in IMAGE_SUFFIXES:
                skipped += 1
            else:
                found.append(path)
    return found, skipped


def _walk_files(folder: Path, include_hidden: bool = False) -> Iterator[Path]:
    # os.walk does not follow symbolic links to folders, so a link loop
    # cannot make the walk endless.
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if include_hidden or not is_hidden_file(name):
                yield Path(directory) / name
