"""Measure cnn-lens against its baselines and print the results table.

    python -m benchmarks [--quick] [--json PATH] [--only NAMES] [--markdown]
    python -m benchmarks --from-json docs/benchmarks.json [--markdown]

Prints a table of figures (ours, baseline, ratio, target, met?) and writes
the whole report as JSON. A full run takes several minutes and writes
docs/benchmarks.json unless --json names another file. A --quick run takes
well under a minute and proves that every figure runs. Runs with --quick or
--only write JSON only when --json is given, so they never replace the
recorded figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
from pathlib import Path

from benchmarks.context import FULL, QUICK, REPO_ROOT, Context, data_dir_from_environment
from benchmarks.machine import load_average
from benchmarks.results import Figure, format_markdown_table, format_table, write_json
from benchmarks.runner import FIGURE_NAMES, build_report, run_figures

DEFAULT_JSON_PATH = REPO_ROOT / "docs" / "benchmarks.json"


def build_parser() -> argparse.ArgumentParser:
    from desktop import DEFAULT_MODEL_PATH

    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run with a few repetitions per figure")
    parser.add_argument(
        "--json", type=Path, metavar="PATH",
        help=f"JSON report to write (default: {DEFAULT_JSON_PATH.relative_to(REPO_ROOT)} for a full run of every figure, none otherwise)",
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown, as in docs/benchmarks.md")
    parser.add_argument(
        "--from-json", type=Path, metavar="PATH",
        help="print the table of a saved JSON report instead of measuring (with --markdown, for docs/benchmarks.md)",
    )
    parser.add_argument(
        "--only", metavar="NAMES",
        help=f"comma-separated figures to run, from: {', '.join(FIGURE_NAMES)} (default: all)",
    )
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL_PATH,
        help=f"ONNX model written by python -m training.export (default: {DEFAULT_MODEL_PATH.relative_to(REPO_ROOT)})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; return 0, or 1 if a figure could not be measured."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.from_json is not None:
        return print_saved_table(parser, args.from_json, args.markdown)
    names = list(FIGURE_NAMES)
    if args.only:
        names = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in names if name not in FIGURE_NAMES]
        if unknown or not names:
            parser.error(f"--only takes figure names from {', '.join(FIGURE_NAMES)}; got {args.only!r}")
    if not args.model.is_file():
        parser.error(f"--model file not found: {args.model}")
    data_dir = data_dir_from_environment()
    if not data_dir.is_dir():
        parser.error(f"photo folder not found: {data_dir}; set CNN_LENS_DATA to the cats-vs-dogs folder")

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Only a full run of every figure replaces the recorded report by default.
    json_path = args.json or (None if args.quick or args.only else DEFAULT_JSON_PATH)
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])

    load_before = load_average()
    context = Context(args.model.resolve(), data_dir, QUICK if args.quick else FULL)
    try:
        figures = run_figures(context, names)
        report = build_report(context, figures, command, args.quick, load_before)
    finally:
        context.close()

    print()
    if args.quick:
        print("Quick run: a few repetitions each, so the figures only show that every measurement runs.")
    print(format_markdown_table(figures) if args.markdown else format_table(figures))
    if json_path is not None:
        write_json(report, json_path)
        print(f"\nReport written to {json_path}")
    return 1 if any(figure.error for figure in figures) else 0


def print_saved_table(parser: argparse.ArgumentParser, path: Path, markdown: bool) -> int:
    """Print the table of a JSON report written by an earlier run; return 0."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        figures = [Figure.from_dict(data) for data in report["figures"]]
    except FileNotFoundError:
        parser.error(f"--from-json file not found: {path}")
    except (ValueError, KeyError, TypeError) as error:
        parser.error(f"--from-json {path} is not a benchmarks report ({error})")
    print(format_markdown_table(figures) if markdown else format_table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
