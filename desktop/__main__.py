"""Start the cnn-lens window: `python -m desktop [PATHS...] [--model PATH] [--screenshot PNG]`.

Qt and ONNX Runtime are imported inside `main`, so `--help` and argument
errors return at once. Nothing here imports TensorFlow or Keras.

Window geometry, the last model and the overlay opacity are kept with
QSettings (organisation and application "cnn-lens"). `--screenshot` runs
neither read nor write them, so screenshots do not depend on earlier use.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from desktop import DEFAULT_MODEL_PATH

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from desktop.core.classifier import Classifier

# Window size in pixels at first start (later starts restore the last size),
# and of `--screenshot` images.
WINDOW_SIZE = (1280, 800)

# Exit status for a model that cannot be loaded, the same as argparse uses
# for invalid arguments.
EXIT_MODEL_ERROR = 2

# Exit status of a screenshot run that saved the window while some photos failed.
SCREENSHOT_WITH_FAILURES = 3

# Interval, in milliseconds, between a screenshot run's checks that the
# window has finished classifying and rendering.
_SETTLED_POLL_MS = 50

# Interval, in milliseconds, at which Python gets a chance to handle Ctrl+C.
_INTERRUPT_POLL_MS = 200

APPLICATION_NAME = "cnn-lens"

# `--evidence` without a label: show each photo's evidence for its predicted label.
PREDICTED_LABEL = "predicted"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnn-lens",
        description="Classify photos with a CNN and show its label, confidence and feature maps.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        # Kept as text: Path("https://host/a.jpg") collapses "//" to "/", and
        # the window could no longer tell a web address from a file name.
        type=str,
        metavar="PATH",
        help=(
            "photo files or folders to classify at start; folders are searched recursively, "
            "and a folder with one sub-folder per label is also evaluated"
        ),
    )
    parser.add_argument(
        "--model",
        type=Path,
        help=(
            "ONNX model written by python -m training.export (default: the model of the last "
            f"session if it still loads, else {DEFAULT_MODEL_PATH})"
        ),
    )
    parser.add_argument(
        "--evidence",
        nargs="?",
        const=PREDICTED_LABEL,
        metavar="LABEL",
        help=(
            "start with the evidence overlay: the heatmap of the regions that drove the score of "
            "LABEL, or of each photo's predicted label when LABEL is left out"
        ),
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help=(
            "save the window as a PNG file once every PATH is classified and the first photo's "
            "detail is shown, print its path and exit"
        ),
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the app and return its exit status.

    The status is 0 when the window closes or the screenshot is saved, and 1
    when the screenshot cannot be written. Invalid arguments and a model that
    cannot be loaded give 2. A screenshot saved while some photos could not
    be classified gives 3. Every failure prints its reason to stderr.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.screenshot is not None:
        if args.screenshot.suffix.lower() != ".png":
            parser.error(f"--screenshot must name a .png file, got {args.screenshot}")
        if not args.screenshot.parent.is_dir():
            parser.error(f"--screenshot folder not found: {args.screenshot.parent}")

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from PySide6.QtCore import QCoreApplication, QSettings

    from desktop.core.classifier import Classifier, ModelLoadError

    QCoreApplication.setOrganizationName(APPLICATION_NAME)
    QCoreApplication.setApplicationName(APPLICATION_NAME)
    settings = QSettings() if args.screenshot is None else None

    model_path = args.model or _remembered_model(settings) or DEFAULT_MODEL_PATH
    try:
        classifier = Classifier.load(model_path)
    except ModelLoadError as error:
        if args.model is not None or model_path == DEFAULT_MODEL_PATH:
            print(f"cnn-lens: cannot load the model {error.path}: {error.reason}", file=sys.stderr)
            return EXIT_MODEL_ERROR
        print(
            f"cnn-lens: cannot load the last model {error.path} ({error.reason}); "
            f"using {DEFAULT_MODEL_PATH}",
            file=sys.stderr,
        )
        try:
            classifier = Classifier.load(DEFAULT_MODEL_PATH)
        except ModelLoadError as default_error:
            print(f"cnn-lens: cannot load the model {default_error.path}: {default_error.reason}", file=sys.stderr)
            return EXIT_MODEL_ERROR

    if args.evidence is not None:
        problem = _evidence_problem(classifier, args.evidence)
        if problem:
            print(f"cnn-lens: --evidence: {problem}", file=sys.stderr)
            return EXIT_MODEL_ERROR

    return _run_window(classifier, args.paths, args.screenshot, settings, args.evidence)


def _evidence_problem(classifier, label: str) -> str | None:
    if not classifier.has_attribution:
        return f"the model {classifier.path} has no attribution output; export it again with python -m training.export"
    if label != PREDICTED_LABEL and label not in classifier.labels:
        problem = f"{label!r} is not a label of the model; choose one of {', '.join(classifier.labels)}"
        if Path(label).exists():
            # argparse gave the option the photo that followed it.
            problem += f". To classify {label}, put it before --evidence or write --evidence=LABEL"
        return problem
    return None


def _remembered_model(settings: QSettings | None) -> Path | None:
    from desktop.ui.main_window import SETTING_LAST_MODEL

    if settings is None:
        return None
    value = settings.value(SETTING_LAST_MODEL)
    return Path(str(value)) if value else None


def _run_window(
    classifier: Classifier,
    paths: list[str],
    screenshot: Path | None,
    settings: QSettings | None,
    evidence: str | None = None,
) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.ui.app_icon import application_icon
    from desktop.ui.main_window import SETTING_GEOMETRY, MainWindow
    from desktop.ui.photo_queue import PhotoStatus

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APPLICATION_NAME)
    app.setWindowIcon(application_icon())
    window = MainWindow(classifier, settings)
    if evidence is not None:
        from desktop.ui.detail_view import OVERLAY_PREDICTED, evidence_overlay

        window.detail_view.set_overlay(OVERLAY_PREDICTED if evidence == PREDICTED_LABEL else evidence_overlay(evidence))
    if settings is None or settings.value(SETTING_GEOMETRY) is None:
        window.resize(*WINDOW_SIZE)
    window.show()

    if screenshot is not None:

        def save_screenshot() -> None:
            if window.grab().save(str(screenshot), "PNG"):
                print(screenshot)
                failed = [entry for entry in window.queue.entries() if entry.status is PhotoStatus.FAILED]
                for entry in failed:
                    print(f"cnn-lens: cannot classify {entry.path}: {entry.error}", file=sys.stderr)
                app.exit(SCREENSHOT_WITH_FAILURES if failed else 0)
            else:
                print(f"cnn-lens: cannot write the screenshot {screenshot}", file=sys.stderr)
                app.exit(1)

        def save_when_settled() -> None:
            # The grab waits for the last batch, the evaluation panel and the
            # selected photo's feature maps. A zero timeout then runs after
            # their layout requests, so the grab shows them finished.
            if window.is_settled():
                poll.stop()
                window.update_evaluation()
                QTimer.singleShot(0, save_screenshot)

        poll = QTimer(window)
        poll.setInterval(_SETTLED_POLL_MS)
        poll.timeout.connect(save_when_settled)
        poll.start()

    if paths:
        window.open_paths(paths)

    # Ctrl+C in the terminal closes the window as File > Quit does, so the
    # settings are saved. Qt's event loop runs C++ code, so a timer hands
    # control back to Python often enough for the signal handler to run.
    previous_handler = signal.signal(signal.SIGINT, lambda *_: window.close())
    interrupt_timer = QTimer(window)
    interrupt_timer.start(_INTERRUPT_POLL_MS)
    interrupt_timer.timeout.connect(lambda: None)

    status = app.exec()
    # Tests call main() in their own process, which keeps running after the window is gone.
    signal.signal(signal.SIGINT, previous_handler)
    window.queue.shutdown()
    window.models.shutdown()
    window.deleteLater()
    return status


if __name__ == "__main__":
    sys.exit(main())
