"""Status-bar sentences about added photos, finished runs and results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from desktop.core.photo_sets import PhotoSource
from desktop.ui.photo_queue import PhotoEntry, PhotoStatus

# Failed files named in the status bar after a run; the rest are counted.
MAX_NAMED_FAILURES = 3


def count(number: int, noun: str) -> str:
    """Format a count with its noun, such as "1 photo" or "3 photos"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def result_line(entry: PhotoEntry) -> str:
    """Format a photo's result on one line, such as "cat.1.jpg: cat (97.3%)"."""
    if entry.status is PhotoStatus.DONE:
        return f"{entry.name}: {entry.summary.label} ({entry.summary.confidence:.1%})"
    if entry.status is PhotoStatus.FAILED:
        return f"{entry.name}: not classified ({entry.error})"
    return f"{entry.name}: {entry.status.value}"


def remote_rejection(urls: list[str]) -> str:
    if len(urls) == 1:
        rejected = f"{urls[0]} is not a file on this computer."
    else:
        rejected = f"{len(urls)} addresses, such as {urls[0]}, are not files on this computer."
    return (
        f"Not added: {rejected} cnn-lens works offline, so it does not download files. "
        "Save the photo first, then drop the saved file."
    )


def describe_added(added: int, known: int, skipped: int) -> str:
    sentences = []
    if added:
        sentences.append(f"Classifying {count(added, 'photo')}…")
    if known:
        verb = "is" if known == 1 else "are"
        sentences.append(f"{count(known, 'photo')} {verb} already in the list.")
    if skipped:
        sentences.append(describe_skipped(skipped))
    if not added and not known:
        sentences.append("No image files found.")
    return " ".join(sentences)


def describe_skipped(skipped: int) -> str:
    """Say how many files were left out because they are not images."""
    if skipped == 1:
        return "Skipped 1 file that is not an image."
    return f"Skipped {skipped} files that are not images."


def describe_labelled(folders: Sequence[Path], photos: Sequence[PhotoSource]) -> str:
    """Say which folders count as labelled and how many photos each label has."""
    per_label = Counter(photo.true_label for photo in photos if photo.true_label is not None)
    counts = ", ".join(f"{count(number, 'photo')} of {label}" for label, number in sorted(per_label.items()))
    names = ", ".join(folder.name or str(folder) for folder in folders)
    return f"Labelled by sub-folder in {names}: {counts}. Accuracy is shown below the table."


def describe_run(classified: int, failed_names: list[str], cancelled: int) -> str:
    """Sum up a run of several photos. A run of one photo gets an empty string, so its own message stays."""
    if classified + len(failed_names) + cancelled <= 1:
        return ""
    sentences = []
    if classified:
        sentences.append(f"Classified {count(classified, 'photo')}.")
    if failed_names:
        named = ", ".join(failed_names[:MAX_NAMED_FAILURES])
        if len(failed_names) > MAX_NAMED_FAILURES:
            named += f" and {len(failed_names) - MAX_NAMED_FAILURES} more"
        sentences.append(f"Cannot classify {named}. The table shows why.")
    if cancelled:
        sentences.append(f"Cancelled {count(cancelled, 'photo')}.")
    return " ".join(sentences)
