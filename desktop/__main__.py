"""Start the cnn-lens window: `python -m desktop [PATHS...] [--model PATH] [--screenshot PNG]`.

Qt and ONNX Runtime are imported inside `main`, so `--help` and argument
errors return at once. Nothing here imports TensorFlow or Keras.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from desktop import DEFAULT_MODEL_PATH

if TYPE_CHECKING:
    from desktop.core.classifier import Classifier

# Window size in pixels at start, and of `--screenshot` images.
WINDOW_SIZE = (1280, 800)

# Exit status for a model that cannot be loaded, the same as argparse uses
# for invalid arguments.
EXIT_MODEL_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnn-lens",
        description="Classify photos with a CNN and show its label, confidence and feature maps.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="photo files or folders to classify at start; folders are searched recursively",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=DEFAULT_MODEL_PATH,
        help=f"ONNX model written by python -m training.export (default: {DEFAULT_MODEL_PATH})",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="save the window as a PNG file once every PATH is classified, print its path and exit",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the app and return its exit status.

    The status is 0 when the window closes or the screenshot is saved, and 1
    when the screenshot cannot be written. Invalid arguments and a model that
    cannot be loaded give 2. Every failure prints its reason to stderr.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.screenshot is not None:
        if args.screenshot.suffix.lower() != ".png":
            parser.error(f"--screenshot must name a .png file, got {args.screenshot}")
        if not args.screenshot.parent.is_dir():
            parser.error(f"--screenshot folder not found: {args.screenshot.parent}")

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from desktop.core.classifier import Classifier, ModelLoadError

    try:
        classifier = Classifier.load(args.model)
    except ModelLoadError as error:
        print(f"cnn-lens: cannot load the model {error.path}: {error.reason}", file=sys.stderr)
        return EXIT_MODEL_ERROR

    return _run_window(classifier, args.paths, args.screenshot)


def _run_window(classifier: Classifier, paths: list[Path], screenshot: Path | None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("cnn-lens")
    window = MainWindow(classifier)
    window.resize(*WINDOW_SIZE)
    window.show()

    if screenshot is not None:

        def save_screenshot() -> None:
            if window.grab().save(str(screenshot), "PNG"):
                print(screenshot)
                app.exit(0)
            else:
                print(f"cnn-lens: cannot write the screenshot {screenshot}", file=sys.stderr)
                app.exit(1)

        # A zero timeout runs after the last result's layout requests, so the
        # grab shows the finished detail view.
        window.queue.idle.connect(lambda: QTimer.singleShot(0, save_screenshot))

    if paths:
        window.open_paths(paths)
    if screenshot is not None and window.queue.pending_count() == 0:
        QTimer.singleShot(0, save_screenshot)

    status = app.exec()
    window.queue.shutdown()
    window.deleteLater()
    return status


if __name__ == "__main__":
    sys.exit(main())
