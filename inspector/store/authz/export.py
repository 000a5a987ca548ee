"""The authorization matrix as Markdown, JSON and JUnit XML (issue #13 §4); pure.

Every text a server or peer chose (reasons) is redacted (:func:`redact_text`) and its hidden
characters written as ``\\uXXXX``; JUnit has one testcase per cell: a failure when the cell
differs from the expectation, an error when it is unknown and no expectation covers it.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from inspector.protocol.authz_probe import Verdict
from inspector.protocol.invisible import reveal
from inspector.protocol.redact import redact_text

from .matrix import Cell, CellKey, Difference, Matrix

_SYMBOL = {
    Verdict.ALLOWED: "✅ allowed",
    Verdict.DENIED: "⛔ denied",
    Verdict.UNKNOWN: "❓ unknown",
}


def safe_text(text: str) -> str:
    """A reason as it may be shown or written: secrets redacted, hidden characters visible."""
    return reveal(redact_text(text), multiline=False)


def _md(text: str) -> str:
    return safe_text(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(
    matrix: Matrix, differences: Sequence[Difference] = (), *, title: str = "Authorization matrix"
) -> str:
    """One table per channel (rows: identities, columns: capabilities), the differences, then
    the reasons cell by cell."""
    diff = {d.key: d for d in differences}
    lines = [f"# {title}", ""]
    observer = matrix.observer or "the identities observed each other"
    counts = matrix.counts()
    lines.append(
        f"Observer: {_md(observer)}. Cells: {len(matrix)} ({counts['allowed']} allowed, "
        f"{counts['denied']} denied, {counts['unknown']} unknown)"
        + (f"; {len(differences)} differ from the expectation." if differences else ".")
    )
    for channel in matrix.channels:
        lines += ["", f"## {_md(channel.label)}", ""]
        lines.append("| identity | " + " | ".join(c.label for c in matrix.capabilities) + " |")
        lines.append("|---" * (len(matrix.capabilities) + 1) + "|")
        for identity in matrix.identities:
            row = [_md(identity)]
            for cap in matrix.capabilities:
                cell = matrix.get(identity, channel, cap)
                text = _SYMBOL[cell.verdict] if cell else ""
                d = diff.get((identity, channel, cap))
                if d is not None:
                    text = f"**{text or d.actual}** (expected {d.expected})"
                row.append(text)
            lines.append("| " + " | ".join(row) + " |")
    if differences:
        lines += ["", "## Differences", ""]
        lines += [f"- {_md(d.text())}" for d in differences]
    lines += ["", "## Reasons", ""]
    for cell in matrix:
        lines.append(
            f"- {_md(cell.identity)} / {_md(cell.channel.label)} / {cell.capability.label}: "
            f"{cell.verdict.value}" + (f", {_md(cell.reason)}" if cell.reason else "")
        )
    return "\n".join(lines) + "\n"


def to_json_dict(matrix: Matrix, differences: Sequence[Difference] | None = None) -> dict[str, Any]:
    """The matrix (and, when compared, ``differences`` and ``matches``), reasons redacted."""
    data = matrix.to_dict()
    for cell in data["cells"]:
        cell["reason"] = safe_text(cell["reason"])
    if differences is not None:
        data["differences"] = [{**d.to_dict(), "reason": safe_text(d.reason)} for d in differences]
        data["matches"] = not differences
    data["counts"] = matrix.counts()
    return data


def to_json(matrix: Matrix, differences: Sequence[Difference] | None = None) -> str:
    return json.dumps(to_json_dict(matrix, differences), indent=2, ensure_ascii=False) + "\n"


def _xml(text: str) -> str:
    text = safe_text(text)
    return "".join(
        c
        if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") or c > "\uffff"
        else f"\\u{ord(c):04x}"
        for c in text
    )


def _case_name(cell: Cell) -> str:
    return f"{cell.identity} {cell.capability.value}"


def to_junit(
    matrix: Matrix,
    differences: Sequence[Difference] | None = None,
    *,
    expected: dict[CellKey, str] | None = None,
    name: str = "realtime-inspector authz",
) -> str:
    """JUnit XML: a testsuite per channel, a testcase per cell (``<identity> <capability>``).

    With an expectation: a cell that differs is a ``failure``; a cell the expectation does not
    cover passes unless it is unknown (an ``error``). Without one, unknown cells are errors.
    """
    diff = {d.key: d for d in differences or ()}
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for channel in matrix.channels:
        suite = ET.SubElement(root, "testsuite", name=_xml(channel.label))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for identity in matrix.identities:
            for cap in matrix.capabilities:
                cell = matrix.get(identity, channel, cap)
                if cell is None:
                    continue
                counts["tests"] += 1
                case = ET.SubElement(
                    suite,
                    "testcase",
                    name=_xml(_case_name(cell)),
                    classname=_xml(f"authz.{channel.label}"),
                    time=f"{cell.waited_s or 0:.3f}",
                )
                d = diff.get(cell.key)
                covered = expected is not None and cell.key in expected
                if d is not None:
                    counts["failures"] += 1
                    el = ET.SubElement(
                        case, "failure", message=_xml(d.text()), type="AuthzDifference"
                    )
                    el.text = _xml(cell.reason)
                elif cell.verdict is Verdict.UNKNOWN and not covered:
                    counts["errors"] += 1
                    el = ET.SubElement(
                        case, "error", message=_xml(f"unknown: {cell.reason}"), type="Unknown"
                    )
                    el.text = _xml(cell.reason)
                ET.SubElement(case, "system-out").text = _xml(
                    f"{cell.verdict.value}: {cell.reason}" if cell.reason else cell.verdict.value
                )
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    missing = [d for d in diff.values() if d.actual == "not measured"]
    if missing:
        suite = ET.SubElement(root, "testsuite", name="not measured")
        for d in missing:
            case = ET.SubElement(
                suite,
                "testcase",
                name=_xml(f"{d.identity} {d.capability.value}"),
                classname=_xml(f"authz.{d.channel.label}"),
                time="0",
            )
            ET.SubElement(case, "failure", message=_xml(d.text()), type="NotMeasured")
        suite.set("tests", str(len(missing)))
        suite.set("failures", str(len(missing)))
        totals["tests"] += len(missing)
        totals["failures"] += len(missing)
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
