"""``realtime-inspector check FILE...``: run check files (docs/checks.md) and report, for CI.

One line per check (PASS, FAIL, ERROR, SKIP) and, under a failed one, the failing step with its
reason and near-misses; ``--json`` prints one JSON object per check instead, then a summary.
``--junit PATH`` writes JUnit XML (one testsuite per file, one testcase per check, the failure
text naming the step and the reason). Exit codes: 0 every check passed, 1 a check failed (or
could not start), 2 a file is invalid or the arguments are (each problem as FILE:LINE:COLUMN:
what is wrong; a ``--junit`` path that is a folder or whose folder cannot be created is refused
before anything runs) or the JUnit report could not be written at the end, 130/143 when Ctrl+C
or SIGTERM stopped the run (the running check is cancelled and cleaned up, counted as an error
in the summary and in JUnit; the rest are skipped; the report is still written).
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspector.client.checks import (
    Check,
    CheckFile,
    CheckResult,
    CheckRun,
    CheckStatus,
    LoadError,
    Problem,
    StepResult,
    StepStatus,
    load_files,
)
from inspector.protocol.invisible import reveal
from inspector.protocol.redact import redact_text

from .client_args import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Output,
    Stop,
    UsageError,
    run_main,
    stop_on_signals,
)

HELP = "run check files (YAML, docs/checks.md) and report pass/fail, optionally as JUnit XML"
EXIT_HELP = (
    "exit codes: 0 every check passed; 1 a check failed or could not start; 2 a file is invalid "
    "(FILE:LINE:COLUMN: what is wrong) or the arguments are, or the --junit report cannot be "
    "written (a folder, an unwritable path: refused before anything runs; a write that fails "
    "at the end); 130 (Ctrl+C) or 143 (SIGTERM). "
    "connect.url and the key default to $SUPABASE_URL and $SUPABASE_ANON_KEY (or "
    "$SUPABASE_PUBLISHABLE_KEY)."
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "check", help=HELP, description=HELP + ".", epilog=EXIT_HELP
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="check files (YAML)")
    p.add_argument(
        "--junit",
        metavar="PATH",
        help="write a JUnit XML report to PATH (its folder is created; exit 2 if it cannot be "
        "written)",
    )
    p.add_argument(
        "--json", action="store_true", help="one JSON object per check on stdout, then a summary"
    )
    p.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only the checks with this name (shell-style pattern; repeatable)",
    )
    p.add_argument(
        "--fail-fast", action="store_true", help="stop at the first check that does not pass"
    )
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    return run_main("check", main, args)


@dataclass
class _Outcome:
    """What happened to one check of the run (a result, or skipped before it ran)."""

    check: Check
    result: CheckResult | None = None
    skipped: str = ""


@dataclass
class _Report:
    files: list[CheckFile]
    outcomes: list[_Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    duration: float = 0.0


async def main(args: argparse.Namespace, out: Output) -> int:
    paths = [Path(f) for f in args.files]
    if args.junit:
        _check_junit_path(Path(args.junit))
    try:
        files = load_files(list(paths))
    except LoadError as exc:
        for problem in exc.problems:
            out.error(str(problem))
        bad = {p.file for p in exc.problems}
        out.error(f"{len(bad)} invalid file{'s' if len(bad) != 1 else ''}; nothing was run")
        if args.junit:
            _write_junit(Path(args.junit), _Report([], problems=exc.problems), out)
        return EXIT_USAGE
    checks = [c for f in files for c in f.checks]
    if args.only:
        checks = [c for c in checks if any(fnmatch.fnmatchcase(c.name, p) for p in args.only)]
        if not checks:
            raise UsageError(f"no check matches --only {' '.join(args.only)}")
    report = _Report(files)
    t0 = time.monotonic()
    skip = ""
    stop = Stop()
    with stop_on_signals(stop):
        for check in checks:
            if stop.is_set():
                skip = "not run (stopped by a signal)"
            if skip:
                report.outcomes.append(_Outcome(check, skipped=skip))
                _print(out, args, report.outcomes[-1])
                continue
            result = await _run_one(check, stop)
            report.outcomes.append(_Outcome(check, result))
            _print(out, args, report.outcomes[-1])
            if args.fail_fast and not result.passed:
                skip = "not run (--fail-fast)"
    report.duration = time.monotonic() - t0
    counts = _counts(report)
    if args.json:
        out.line({"summary": {**counts, "duration": round(report.duration, 3)}})
    else:
        _text(
            out,
            f"{counts['passed']} passed, {counts['failed']} failed, {counts['errors']} errors, "
            f"{counts['skipped']} skipped in {report.duration:.2f} s",
        )
    written = _write_junit(Path(args.junit), report, out) if args.junit else True
    if stop.is_set():
        return stop.exit_code()
    if not written:
        return EXIT_USAGE
    return EXIT_OK if counts["passed"] == len(report.outcomes) else EXIT_FAILURE


async def _run_one(check: Check, stop: Stop) -> CheckResult:
    """Run one check; Ctrl+C or SIGTERM cancels it (the step fails, cleanup runs)."""
    run = CheckRun(check, env=os.environ)
    task = asyncio.ensure_future(run.run())
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((task, stopper), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not task.done():
        run.cancel()
    return await task


def _counts(report: _Report) -> dict[str, int]:
    counts = {"checks": len(report.outcomes), "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    for o in report.outcomes:
        if o.result is None:
            counts["skipped"] += 1
        elif o.result.status is CheckStatus.PASSED:
            counts["passed"] += 1
        elif o.result.status is CheckStatus.FAILED:
            counts["failed"] += 1
        else:
            counts["errors"] += 1
    return counts


# ------------------------------------------------------------------ text and JSON


def _text(out: Output, line: str) -> None:
    """A line for people on stdout: secrets redacted, hidden characters escaped."""
    out.flush()
    try:
        sys.stdout.write(reveal(redact_text(line), multiline=False) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        out.closed = True


def _where(check: Check) -> str:
    if check.file is None:
        return ""
    return f"{check.file}:{check.line}" if check.line else str(check.file)


def step_label(step_result: StepResult) -> str:
    """``step 3 (line 12) expect order.confirmed on orders``."""
    step = step_result.step
    line = f" (line {step.line})" if step.line else ""
    return f"step {step.index + 1}{line} {step.title}"


def failure_text(result: CheckResult) -> str:
    """The one-line failure: the step and the reason (or why it could not start)."""
    if result.status is CheckStatus.ERROR:
        return f"could not start: {result.error}"
    failed = result.failed_step
    if failed is None:
        return result.status.value
    return f"{step_label(failed)}: {failed.reason}"


def _print(out: Output, args: argparse.Namespace, outcome: _Outcome) -> None:
    check, result = outcome.check, outcome.result
    if args.json:
        if result is None:
            out.line({"check": check.name, "file": str(check.file), "status": "skipped"})
        else:
            out.line(result.to_dict())
        out.flush()
        return
    if result is None:
        _text(out, f"SKIP   {check.name}  ({_where(check)})  {outcome.skipped}")
        return
    word = {
        CheckStatus.PASSED: "PASS ",
        CheckStatus.FAILED: "FAIL ",
        CheckStatus.ERROR: "ERROR",
        CheckStatus.CANCELLED: "STOP ",
    }[result.status]
    _text(out, f"{word}  {check.name}  ({_where(check)})  {result.duration:.2f} s")
    if result.status is CheckStatus.PASSED:
        return
    if result.status is CheckStatus.ERROR:
        _text(out, f"       could not start: {result.error}")
        return
    for line in _details(result):
        _text(out, "       " + line)


def _details(result: CheckResult) -> list[str]:
    lines: list[str] = []
    for s in result.steps:
        if s.status is not StepStatus.FAILED:
            continue
        lines.append(f"{step_label(s)}: {s.reason}")
        if s.server_reason and s.server_reason not in s.reason:
            lines.append(f"  server: {s.server_reason}")
        for near in s.near_misses:
            if near.text() not in s.reason:  # the reason already names the closest one
                lines.append(f"  near miss: {near.text()}")
        for msg in s.matched:
            lines.append(f"  seen: {msg.event} at +{msg.offset:.3f} s {_short(msg.payload)}")
    return lines


def _short(value: Any, limit: int = 120) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------ JUnit


def _step_lines(result: CheckResult) -> str:
    rows = []
    for s in result.steps:
        mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}[s.status.value]
        rows.append(
            f"{mark} {step_label(s)}  {s.duration:.3f} s" + (f"  {s.reason}" if s.reason else "")
        )
    return "\n".join(rows)


def build_junit(report: _Report) -> ET.Element:
    """The JUnit XML tree: testsuites / testsuite per file / testcase per check."""
    root = ET.Element("testsuites", name="realtime-inspector check")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    stamp = datetime.fromtimestamp(report.started, UTC).isoformat(timespec="seconds")
    by_file: dict[str, list[_Outcome]] = {}
    suites: dict[str, str] = {}
    for o in report.outcomes:
        key = str(o.check.file)
        by_file.setdefault(key, []).append(o)
        suites[key] = o.check.suite or Path(key).stem
    for file, outcomes in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=suites[file], file=file, timestamp=stamp)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        total = 0.0
        for o in outcomes:
            counts["tests"] += 1
            res = o.result
            case = ET.SubElement(
                suite,
                "testcase",
                name=o.check.name,
                classname=suites[file],
                file=file,
                line=str(o.check.line),
                time=f"{res.duration:.3f}" if res else "0",
            )
            if res is None:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=o.skipped)
                continue
            total += res.duration
            if res.status is CheckStatus.FAILED:
                counts["failures"] += 1
                el = ET.SubElement(
                    case, "failure", message=_safe(failure_text(res)), type="StepFailed"
                )
                el.text = _safe("\n".join(_details(res)))
            elif res.status is CheckStatus.CANCELLED:
                # Stopped by Ctrl+C/SIGTERM before it could pass or fail: an error, as in the
                # text summary (the system under test was not judged).
                counts["errors"] += 1
                el = ET.SubElement(
                    case, "error", message=_safe(failure_text(res)), type="Cancelled"
                )
                el.text = _safe("\n".join(_details(res)))
            elif res.status is CheckStatus.ERROR:
                counts["errors"] += 1
                el = ET.SubElement(
                    case, "error", message=_safe(failure_text(res)), type="SetupError"
                )
                el.text = _safe(res.error)
            ET.SubElement(case, "system-out").text = _safe(_step_lines(res))
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", f"{total:.3f}")
    problems_by_file: dict[str, list[Problem]] = {}
    for p in report.problems:
        problems_by_file.setdefault(p.file, []).append(p)
    for file, problems in problems_by_file.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=Path(file).stem,
            file=file,
            timestamp=stamp,
            tests="1",
            failures="0",
            errors="1",
            skipped="0",
            time="0",
        )
        case = ET.SubElement(
            suite,
            "testcase",
            name="the file is valid",
            classname=Path(file).stem,
            file=file,
            time="0",
        )
        first = problems[0]
        case.set("line", str(first.line))
        el = ET.SubElement(case, "error", message=_safe(str(first)), type="InvalidFile")
        el.text = _safe("\n".join(str(p) for p in problems))
        totals["tests"] += 1
        totals["errors"] += 1
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{report.duration:.3f}")
    return root


def _safe(text: str) -> str:
    """Text for XML: secrets redacted, characters XML 1.0 cannot hold written as \\uXXXX."""
    text = redact_text(text)
    return "".join(
        c
        if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") or c > "\uffff"
        else f"\\u{ord(c):04x}"
        for c in text
    )


def _check_junit_path(path: Path) -> None:
    """Refuse, before anything runs, a ``--junit`` path that clearly cannot be written (exit 2)."""
    if path.is_dir():
        raise UsageError(f"--junit {path}: is a directory; give a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--junit {path}: cannot create its folder {path.parent}: {exc.strerror or exc}"
        ) from None
    if not path.parent.is_dir():
        raise UsageError(f"--junit {path}: {path.parent} is not a folder")
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise UsageError(f"--junit {path}: {target} is not writable")


def _write_junit(path: Path, report: _Report, out: Output) -> bool:
    """Write the report; False (after saying so on stderr) when it could not be written."""
    tree = ET.ElementTree(build_junit(report))
    ET.indent(tree)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tree.write(path, encoding="utf-8", xml_declaration=True)
    except OSError as exc:
        out.error(
            f"cannot write the JUnit report {path}: {exc.strerror or exc}; "
            "exit code 2 (no report was written)"
        )
        return False
    return True
