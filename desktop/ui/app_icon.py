"""The application icon, read from the repository's `resources/` folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES_DIR = Path(__file__).resolve().parents[2] / "resources"
ICON_FILES = ("cnn-lens.svg", "cnn-lens.png")


def application_icon() -> QIcon:
    """Return the cnn-lens icon, or an empty icon when `resources/` is not installed.

    The SVG scales to every size. The PNG rendering serves Qt builds without
    the SVG icon engine plugin.

    NOTE: `resources/` sits beside the `desktop` package, so only an editable
    install or a source checkout finds it.
    """
    icon = QIcon()
    for name in ICON_FILES:
        path = RESOURCES_DIR / name
        if path.is_file():
            icon.addFile(str(path))
    return icon
