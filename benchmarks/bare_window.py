"""Baseline for the start-up figure: `python -m benchmarks.bare_window PNG`.

Shows an empty PySide6 main window of the app's start size, saves it to PNG
once the event loop runs, prints the path and exits, which is what
`python -m desktop --screenshot PNG` does after loading the model and
building the app's window. The difference between the two is the app's own
start-up cost.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].lower().endswith(".png"):
        print("usage: python -m benchmarks.bare_window PNG", file=sys.stderr)
        return 2
    screenshot = argv[0]

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    from desktop.__main__ import WINDOW_SIZE

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.resize(*WINDOW_SIZE)
    window.show()

    def save_screenshot() -> None:
        if window.grab().save(screenshot, "PNG"):
            print(screenshot, flush=True)
            app.exit(0)
        else:
            print(f"cannot write the screenshot {screenshot}", file=sys.stderr)
            app.exit(1)

    QTimer.singleShot(0, save_screenshot)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
