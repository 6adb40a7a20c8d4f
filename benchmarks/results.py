"""Figures measured by the benchmarks, and how they are printed and saved."""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.timing import Summary

# The ratio unit of figures whose ratio is the baseline's time over ours.
SPEEDUP = "× faster"


@dataclass
class Figure:
    """One row of the results table: our median, the baseline's, their ratio and the target.

    `ratio` is defined per figure and `ratio_unit` shows how to read it, for
    example "× faster" (baseline time over ours) or "× bound" (our time over
    the compute bound). `met` is None when the row has no target or could
    not be measured.
    """

    key: str
    title: str
    unit: str
    ours: Summary | None = None
    baseline: Summary | None = None
    baseline_name: str = ""
    ratio: float | None = None
    ratio_unit: str = ""
    target: str = ""
    met: bool | None = None
    details: dict = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "Figure":
        """Rebuild a figure from `as_dict`'s output, as read back from a JSON report."""
        arguments = dict(data)
        for side in ("ours", "baseline"):
            values = arguments[side]
            if values is not None:
                arguments[side] = Summary(
                    values["median"], values["lower_quartile"], values["upper_quartile"],
                    values["samples"], values.get("minimum", math.nan),
                )
        return cls(**arguments)

    def ratio_text(self) -> str:
        """Format the ratio with its unit, turning a speed-up below 1 into a slow-down."""
        if self.ratio is None:
            return "—"
        if self.ratio_unit == SPEEDUP and self.ratio < 1:
            return f"{1 / self.ratio:.2f}× slower"
        return f"{self.ratio:.2f}{self.ratio_unit}"

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "ours": self.ours.as_dict() if self.ours else None,
            "baseline": self.baseline.as_dict() if self.baseline else None,
            "baseline_name": self.baseline_name,
            "ratio": self.ratio,
            "ratio_unit": self.ratio_unit,
            "target": self.target,
            "met": self.met,
            "details": self.details,
            "error": self.error,
        }


def format_value(value: float | None, unit: str) -> str:
    """Format a measured value with three significant digits and its unit."""
    if value is None or math.isnan(value):
        return "—"
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    elif value >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}"


def table_rows(figures: list[Figure]) -> list[list[str]]:
    """Return the table as rows of cells: figure, ours, baseline, ratio, target, met.

    A figure that could not be measured shows "not measured (note N)", and
    `error_notes` lists the reasons.
    """
    rows = [["figure", "ours", "baseline", "ratio", "target", "met?"]]
    note = 0
    for figure in figures:
        if figure.error:
            note += 1
            rows.append([figure.title, f"not measured (note {note})", "—", "—", figure.target or "—", "—"])
            continue
        baseline = format_value(figure.baseline.median if figure.baseline else None, figure.unit)
        if figure.baseline_name and figure.baseline:
            baseline = f"{baseline} ({figure.baseline_name})"
        ratio = figure.ratio_text()
        met = {True: "yes", False: "NO", None: "—"}[figure.met]
        rows.append([
            figure.title,
            format_value(figure.ours.median if figure.ours else None, figure.unit),
            baseline,
            ratio,
            figure.target or "—",
            met,
        ])
    return rows


def error_notes(figures: list[Figure]) -> list[str]:
    """Return "note N: reason" for each figure that could not be measured, numbered as in the table."""
    errors = [figure.error for figure in figures if figure.error]
    return [f"note {number}: {error}" for number, error in enumerate(errors, start=1)]


def format_table(figures: list[Figure]) -> str:
    """Lay the table out in aligned plain-text columns, followed by the notes on figures not measured."""
    rows = table_rows(figures)
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    notes = error_notes(figures)
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def format_markdown_table(figures: list[Figure]) -> str:
    """Lay the table out as a Markdown table, followed by the notes on figures not measured."""
    rows = table_rows(figures)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    for row in rows[1:]:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    notes = error_notes(figures)
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines)


def write_json(report: dict, path: Path) -> None:
    """Write the report as indented JSON, replacing `path` only once the file is complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(report, file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
