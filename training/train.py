"""Train a CNN on a folder-per-class photo set.

    python -m training.train --data DIR [--epochs N] [--image-size PX] [--seed S]
                             [--architecture NAME] [--mixup A] [--output RUN_DIR] [--resume RUN_DIR]

DIR contains `train/<label>/` and `validation/<label>/`. Without `validation/`,
a stratified part of `train/` is held out. DIR may also be a single folder of
class sub-folders. The run folder receives the trained model (`model.keras`),
the class labels, the history, the run's settings and a report.
"""

from __future__ import annotations

import argparse
import math
import logging
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

from training import missing_packages

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUNS_DIR = REPO_ROOT / "runs"
DEFAULT_CACHE_DIR = REPO_ROOT / ".cache" / "decoded"

logger = logging.getLogger("training")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from training.architectures import ARCHITECTURES, DEFAULT_ARCHITECTURE, RECIPES, describe_recipe
    from training.data import DEFAULT_SEED

    parser = argparse.ArgumentParser(
        prog="python -m training.train",
        description=__doc__.split("\n\n")[0],
        epilog="Recipes: " + "; ".join(f"{name}: {describe_recipe(recipe)}" for name, recipe in RECIPES.items()),
    )
    parser.add_argument(
        "--data", type=Path, metavar="DIR",
        help="folder with train/<label>/ (and validation/<label>/) photos, or one folder of <label>/ sub-folders",
    )
    parser.add_argument("--epochs", type=int, help="maximum number of epochs (default: the preset's recipe)")
    parser.add_argument("--image-size", type=int, help="model input height and width in pixels (default: the preset's recipe)")
    parser.add_argument("--batch-size", type=int, help="photos per training step (default: the preset's recipe)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED,
        help=f"random seed for weights, shuffling and augmentation (default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--architecture", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCHITECTURE,
        help=f"network preset (default: {DEFAULT_ARCHITECTURE})",
    )
    parser.add_argument(
        "--validation-split", type=float, default=0.2,
        help="fraction of each class held out for validation when DIR has no validation/ folder (default: 0.2)",
    )
    parser.add_argument(
        "--patience", type=int,
        help="stop after this many epochs without a lower validation loss and keep the best weights; "
        "0 trains every epoch (default: the preset's recipe)",
    )
    parser.add_argument(
        "--mixup", type=float, metavar="A",
        help="blend pairs of training photos and their labels in proportions drawn from Beta(A, A); "
        "0 turns it off (default: the preset's recipe)",
    )
    parser.add_argument("--output", type=Path, help="run folder to create (default: a new folder under runs/)")
    parser.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue an interrupted run from its last finished epoch")
    parser.add_argument("--no-cache", action="store_true", help="decode every photo again instead of reading the decoded-photo cache")
    args = parser.parse_args(argv)

    recipe = RECIPES[args.architecture]
    for option in ("epochs", "image_size", "batch_size", "patience", "mixup"):
        if getattr(args, option) is None:
            setattr(args, option, getattr(recipe, option))

    if args.resume is None and args.data is None:
        parser.error("--data is required (or --resume RUN_DIR)")
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    if not 32 <= args.image_size <= 1024:
        parser.error(f"--image-size must be between 32 and 1024 pixels, got {args.image_size}")
    if args.patience < 0:
        parser.error(f"--patience must be 0 or more, got {args.patience}")
    if not (math.isfinite(args.mixup) and args.mixup >= 0):
        parser.error(f"--mixup must be a finite number, 0 or more, got {args.mixup}")
    if args.batch_size < 1:
        parser.error(f"--batch-size must be at least 1, got {args.batch_size}")
    if not 0.0 < args.validation_split < 1.0:
        parser.error(f"--validation-split must be between 0 and 1, got {args.validation_split}")
    return args


def main(argv: list[str] | None = None) -> int:
    problem = missing_packages()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)

    from training.data import DataError
    from training.fit import train

    try:
        settings = _settings_from_args(args, argv)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    try:
        run_dir = train(settings, resume=args.resume is not None)
    except (DataError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\ninterrupted; continue with: python -m training.train --resume {settings.run_dir}",
            file=sys.stderr,
        )
        return 130
    print(f"Run saved to {run_dir}")
    return 0


def _settings_from_args(args: argparse.Namespace, argv: list[str] | None):
    from training.fit import RunSettings
    from training.machine import machine_description

    if args.resume is not None:
        return RunSettings.read(args.resume)

    command = "python -m training.train " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    run_dir = args.output or DEFAULT_RUNS_DIR / f"{stamp}-{args.architecture}"
    return RunSettings(
        data=str(args.data.resolve()),
        epochs=args.epochs,
        image_size=args.image_size,
        batch_size=args.batch_size,
        seed=args.seed,
        architecture=args.architecture,
        validation_split=args.validation_split,
        run_dir=str(Path(run_dir).resolve()),
        cache_dir=None if args.no_cache else str(DEFAULT_CACHE_DIR),
        command=command,
        machine=machine_description(),
        patience=args.patience,
        mixup=args.mixup,
    )


if __name__ == "__main__":
    sys.exit(main())
