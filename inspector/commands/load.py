"""``realtime-inspector load PRESET``: a load test with Supabase's Broadcast workloads.

The engine is :mod:`inspector.client.load`; this module reads the flags into a
:class:`~inspector.client.load.Workload`, checks the target (a server that is not on this
machine needs ``--yes``, after the expected message rate and the quotas it may hit are
printed), runs it in this process or in ``--workers N`` processes with disjoint VU ranges
(their :class:`~inspector.client.load.LoadStats` merged exactly), shows live progress on
stderr (rich, or plain lines when stderr is not a terminal), prints the final table, writes
the ``--json`` report and evaluates ``--threshold`` expressions.

Exit codes: 0 every threshold met; 1 a threshold failed, or no VU could connect or join; 2 invalid
arguments (a bad threshold, an unknown preset, a remote target without ``--yes``); 130/143
when Ctrl+C/SIGTERM cut the run short (the partial result is still printed).

Worker processes are this command with the hidden ``--worker`` flag: the parent writes one
JSON line (the workload, the connection settings, the VU range) to the worker's stdin and reads
JSON lines from its stdout: ``{"progress": …}``, ``{"ready": true}`` once its VUs have joined,
then (after the parent's ``go``) ``{"result": …}``. Secrets travel only through the pipe.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import math
import os
import secrets
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inspector.client import ClientSettings, InspectorError, InvalidSettings
from inspector.client.load import PRESETS, LoadStats, Snapshot, Workload, preset, run_load
from inspector.client.load.recorder import finite
from inspector.client.load.report import (
    METRICS,
    Threshold,
    ThresholdError,
    Verdict,
    check,
    format_value,
    parse_threshold,
    rows,
)
from inspector.client.load.safety import is_local as _is_local
from inspector.client.load.safety import safety_lines as _safety_text
from inspector.protocol import jwt
from inspector.protocol.invisible import printable
from inspector.protocol.template import TemplateError, Variables, expand_json, has_placeholders

from .client_args import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Output,
    Stop,
    UsageError,
    add_connection_options,
    run_main,
    settings_from,
    signed_in,
    stop_on_signals,
)

HELP = "load test with Supabase's Broadcast workloads (docs/load.md)"
REPORT_FORMAT = "realtime-inspector-load-report/1"
EXIT_THRESHOLD = 1


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "load",
        help=HELP,
        description=HELP
        + ". Presets: "
        + "; ".join(f"{name}: {w.description}" for name, w in PRESETS.items())
        + ".",
        epilog="exit codes: 0 every threshold met; 1 a threshold failed, or no VU connected or "
        "joined; "
        "2 invalid arguments (also a target that is not on this machine without --yes); "
        "130 (Ctrl+C) or 143 (SIGTERM) when cut short. Threshold metrics: "
        + ", ".join(METRICS)
        + ". --url and --key default to $SUPABASE_URL and $SUPABASE_ANON_KEY.",
    )
    p.add_argument("preset", nargs="?", metavar="PRESET", help=f"one of: {', '.join(PRESETS)}")
    p.add_argument("--list", action="store_true", help="list the presets and their settings")
    add_connection_options(p, channel_options=False)
    w = p.add_argument_group("workload overrides (the preset's values otherwise)")
    w.add_argument("--vus", type=_int_arg(1), help="virtual users (one websocket each)")
    w.add_argument("--duration", type=_float_arg(False), metavar="S", help="seconds of sending")
    w.add_argument(
        "--rate", type=_float_arg(True), metavar="R", help="messages/s per VU into each channel"
    )
    w.add_argument("--payload", type=_int_arg(0), metavar="BYTES", help="payload size in bytes")
    w.add_argument("--channels", type=_int_arg(1), metavar="N", help="channels per VU")
    w.add_argument(
        "--users-per-channel", type=_int_arg(1), metavar="N", help="VUs sharing each channel"
    )
    w.add_argument("--ramp-up", type=_float_arg(True), metavar="S", help="seconds to connect all")
    w.add_argument(
        "--connect-rate",
        type=_float_arg(False),
        metavar="R",
        help="new connections per second (instead of --ramp-up)",
    )
    w.add_argument("--drain", type=_float_arg(True), metavar="S", help="seconds to wait at the end")
    w.add_argument("--ack", dest="ack", action="store_true", default=None, help="broadcast ack")
    w.add_argument("--no-ack", dest="ack", action="store_false", help="no broadcast ack")
    w.add_argument(
        "--self", dest="self_", action="store_true", default=None, help="receive own messages"
    )
    w.add_argument("--no-self", dest="self_", action="store_false", help="do not receive own")
    w.add_argument("--private", action="store_true", default=None, help="private channels")
    w.add_argument("--presence", action="store_true", default=None, help="track presence")
    w.add_argument("--via", choices=["ws", "rest", "rest-batch"], help="how messages are sent")
    w.add_argument("--event", help="broadcast event name (default: load)")
    w.add_argument(
        "--saved",
        metavar="NAME",
        help="payload from a saved message (JSON object; variables expanded per send)",
    )
    w.add_argument("--library", metavar="FILE", help="library file for --saved")
    a = p.add_argument_group("run")
    a.add_argument(
        "--workers",
        type=_int_arg(1),
        help="processes with disjoint VU ranges, results merged (default: the number of cores)",
    )
    a.add_argument("--json", metavar="PATH", help="write the JSON report to PATH ('-': stdout)")
    a.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="EXPR",
        help="METRIC OP NUMBER[UNIT], e.g. p99<100ms, lost==0, delivered_rate>=1000; "
        "a failed one exits 1 (repeatable)",
    )
    a.add_argument(
        "--yes",
        action="store_true",
        help="run against a server that is not on this machine (read the printed rates first)",
    )
    a.add_argument(
        "--jwt-secret-env",
        metavar="NAME",
        help="mint a user token per VU (role authenticated, sub load-user-<i>) with the HS256 "
        "secret in $NAME (the auth workload; else --token gives one token to all)",
    )
    a.add_argument("--run-id", help=argparse.SUPPRESS)
    a.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(run=run)
    return p


def _int_arg(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def _float_arg(zero_ok: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
            bound = "0 or more" if zero_ok else "above 0"
            raise argparse.ArgumentTypeError(f"must be a number {bound}, got {text!r}")
        return value

    return parse


def run(args: argparse.Namespace) -> int:
    if args.worker:
        return _worker_main()
    return run_main("load", _load, args)


# ---------------------------------------------------------------------------- setup


def _workload(args: argparse.Namespace) -> Workload:
    if args.preset is None:
        raise UsageError(f"name a workload: one of {', '.join(PRESETS)} (--list shows them)")
    if args.preset not in PRESETS:
        raise UsageError(f"unknown workload {args.preset!r}; one of: {', '.join(PRESETS)}")
    fields = {
        "vus": args.vus,
        "duration_s": args.duration,
        "send_rate": args.rate,
        "payload_bytes": args.payload,
        "channels": args.channels,
        "users_per_channel": args.users_per_channel,
        "ramp_up_s": args.ramp_up,
        "connect_rate": args.connect_rate,
        "drain_s": args.drain,
        "ack": args.ack,
        "broadcast_self": args.self_,
        "private": args.private,
        "presence": args.presence,
        "via": args.via,
        "event": args.event,
    }
    overrides = {k: v for k, v in fields.items() if v is not None}
    if args.ramp_up is not None and args.connect_rate is None:
        overrides["connect_rate"] = None
    if args.saved is not None:
        overrides.update(_saved(args))
    elif args.library is not None:
        raise UsageError("--library needs --saved")
    overrides["run_id"] = args.run_id or secrets.token_hex(3)
    try:
        return preset(args.preset, **overrides)
    except (KeyError, ValueError) as exc:
        raise UsageError(str(exc).strip("'\"")) from exc


def _saved(args: argparse.Namespace) -> dict[str, Any]:
    from inspector.store.library import (
        LibraryError,
        default_library_path,
        load_library,
    )

    path = Path(args.library).expanduser() if args.library else default_library_path()
    try:
        saved = load_library(path, missing_ok=False).find(args.saved)
    except LibraryError as exc:
        raise UsageError(f"--saved: {exc}") from exc
    if saved.binary:
        raise UsageError(f"--saved {printable(saved.ref)!r} is binary; a load run needs JSON")
    out: dict[str, Any] = {"template": saved.payload}
    if args.event is None:
        if not saved.event or has_placeholders(saved.event):
            raise UsageError(
                f"--saved {printable(saved.ref)!r}: a load run needs a fixed event name "
                "(pass --event)"
            )
        out["event"] = saved.event
    if args.ack is None:
        out["ack"] = saved.ack
    try:  # expanded once now, so a bad template exits 2 before anything connects
        body = expand_json(saved.payload, Variables(env=dict(os.environ), claims={}))
    except TemplateError as exc:
        raise UsageError(f"--saved {printable(saved.ref)!r}: {exc}") from exc
    except KeyError:
        body = {}  # {{claims.X}}: checked per VU, with its token
    if not isinstance(body, dict):
        raise UsageError(f"--saved {printable(saved.ref)!r}: the payload must be a JSON object")
    return out


def _minter(
    secret: str, ttl: float
) -> tuple[Callable[[int], str], Callable[[int], dict[str, Any]]]:
    issued = int(time.time())
    exp = issued + int(ttl) + 600

    def claims_for(i: int) -> dict[str, Any]:
        return {
            "role": "authenticated",
            "aud": "authenticated",
            "sub": f"load-user-{i}",
            "iat": issued,
            "exp": exp,
        }

    def token_for(i: int) -> str:
        return jwt.sign(claims_for(i), secret)

    return token_for, claims_for


# ---------------------------------------------------------------------------- the command


async def _load(args: argparse.Namespace, out: Output) -> int:
    if args.list:
        _list_presets()
        return EXIT_OK
    thresholds: list[Threshold] = []
    for text in args.threshold:
        try:
            thresholds.append(parse_threshold(text))
        except ThresholdError as exc:
            raise UsageError(str(exc)) from exc
    workload = _workload(args)
    settings = settings_from(args)
    out.hide(settings.api_key, settings.access_token)
    secret: str | None = None
    if args.jwt_secret_env:
        secret = os.environ.get(args.jwt_secret_env)
        if not secret:
            raise UsageError(f"--jwt-secret-env: ${args.jwt_secret_env} is not set or empty")
        if settings.access_token or getattr(args, "email", None):
            raise UsageError("--jwt-secret-env mints the tokens: not with --token or --email")
        out.hide(secret)
    try:
        settings, _session = await signed_in(args, settings)
    except InspectorError as exc:
        out.error(exc.message)
        return EXIT_FAILURE
    out.hide(settings.access_token)
    if workload.name == "auth" and secret is None and not settings.access_token:
        raise UsageError(
            "the auth workload needs user tokens: --jwt-secret-env NAME (the server's JWT "
            "secret in $NAME; one token per VU) or --token JWT / --email (one for all)"
        )
    if args.json not in (None, "-"):
        _check_writable(args.json)
    target = settings.endpoints().websocket
    if not _is_local(target):
        lines = _safety_text(workload)
        for line in lines:
            out.note(line)
        if not args.yes:
            host = urllib.parse.urlsplit(target).hostname
            raise UsageError(
                f"{host} is not this machine: read the figures above and pass --yes to run"
            )
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    workers = max(1, min(workers, workload.vus))
    progress = _Progress(workload, workers)
    stop = Stop()
    started = time.time()
    with stop_on_signals(stop):
        try:
            parts: list[LoadStats] = []
            if workers == 1:
                token_for, claims_for = (
                    _minter(secret, workload.max_run_seconds()) if secret else (None, None)
                )
                stats = await run_load(
                    workload,
                    settings,
                    on_progress=progress.update,
                    stop=stop.event,
                    token_for=token_for,
                    claims_for=claims_for,
                )
            else:
                stats, parts = await _run_workers(
                    workload, settings, secret, workers, progress, stop, out
                )
        finally:
            progress.close()
    summary = stats.summary()
    verdicts = [check(t, summary) for t in thresholds]
    _print_table(workload, stats, summary, verdicts, workers)
    report = _report(workload, settings, stats, summary, verdicts, workers, started)
    if parts:
        report["per_worker"] = [_part(part) for part in parts]
    if args.json == "-":
        out.line(report)
    elif args.json:
        try:
            _write_report(args.json, report)
        except OSError as exc:
            out.error(f"--json: cannot write {args.json}: {exc.strerror or exc}")
            return EXIT_FAILURE
    if stop.signal is not None:
        return stop.exit_code()
    if stats.connects_ok == 0:
        out.error("no virtual user could connect")
        return EXIT_FAILURE
    if stats.joins_ok == 0:
        out.error("no channel could be joined")
        return EXIT_FAILURE
    return EXIT_OK if all(v.passed for v in verdicts) else EXIT_THRESHOLD


_PART_FIGURES = ("vus", "connections", "joins", "sent", "expected", "delivered", "lost", "errors")


def _part(stats: LoadStats) -> dict[str, Any]:
    """One worker's main counts (the merged figures are their sums; histograms merge)."""
    summary = stats.summary()
    return {name: summary[name] for name in _PART_FIGURES}


def _check_writable(path: str) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()
    except OSError as exc:
        raise UsageError(f"--json: cannot write {path}: {exc.strerror or exc}") from exc


def _write_report(path: str, report: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _list_presets() -> None:
    for name, w in PRESETS.items():
        layout = " + ".join(
            f"{g.label} ({g.users} user{'' if g.users == 1 else 's'})" for g in w.layout
        )
        ramp = (
            f"{w.connect_rate:g} connections/s" if w.connect_rate else f"ramp-up {w.ramp_up_s:g} s"
        )
        extra = [
            x for x, on in (("ack", w.ack), ("private", w.private), ("presence", w.presence)) if on
        ]
        sys.stdout.write(
            f"{name}: {w.vus} VUs; {layout}; {w.send_rate:g} msg/s per channel; "
            f"payload {w.payload_bytes or 'header only'}"
            f"{' bytes' if w.payload_bytes else ''}; via {w.via}; {ramp}; {w.duration_s:g} s"
            + (f"; {', '.join(extra)}" if extra else "")
            + f"\n    {w.description}\n"
        )


def _report(
    workload: Workload,
    settings: ClientSettings,
    stats: LoadStats,
    summary: dict[str, float | int | None],
    verdicts: list[Verdict],
    workers: int,
    started: float,
) -> dict[str, Any]:
    def iso(t: float) -> str:
        return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds")

    target = urllib.parse.urlsplit(settings.endpoints().websocket)
    return {
        "format": REPORT_FORMAT,
        "workload": workload.to_dict(),
        "target": f"{target.scheme}://{target.netloc.rpartition('@')[2]}{target.path}",
        "workers": workers,
        "started": iso(started),
        "ended": iso(time.time()),
        "metrics": {k: finite(v) for k, v in summary.items()},
        "errors": dict(stats.errors.most_common()),
        "channels": stats.channel_problems(100),
        "thresholds": [
            {
                "threshold": v.threshold.text,
                "metric": v.threshold.metric,
                "value": finite(v.actual),
                "passed": v.passed,
            }
            for v in verdicts
        ],
        "passed": all(v.passed for v in verdicts),
        "stats": stats.to_dict(),
    }


def _print_table(
    workload: Workload,
    stats: LoadStats,
    summary: dict[str, float | int | None],
    verdicts: list[Verdict],
    workers: int,
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stderr, highlight=False, soft_wrap=False)
    title = (
        f"load {workload.name}: {workload.vus:,} VUs, {workload.duration_s:g} s, "
        f"{workers} process{'es' if workers > 1 else ''}"
    )
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("")
    table.add_column("figure")
    table.add_column("value", justify="right")
    last = ""
    for section, label, value in rows(summary):
        table.add_row(section if section != last else "", label, value)
        last = section
    console.print(table)
    if stats.errors:
        console.print("errors by reason:")
        for reason, count in stats.errors.most_common(10):
            console.print(f"  {count:>8,}  {printable(reason)}", markup=False)
    problems = stats.channel_problems(5)
    if problems:
        console.print("channels with lost, duplicated or out-of-order messages (worst first):")
        for row in problems:
            console.print(
                f"  {printable(row['channel'])}: lost {row['lost']:,}, duplicated "
                f"{row['duplicated']:,}, out of order {row['out_of_order']:,}",
                markup=False,
            )
    for v in verdicts:
        console.print(("✓ " if v.passed else "✗ ") + printable(v.message), markup=False)


# ---------------------------------------------------------------------------- progress


class _Progress:
    """Live figures on stderr: on a terminal a rich bar with a line of figures under it (the
    connections while connecting, then the sending time), else a plain line every 2 s."""

    def __init__(self, workload: Workload, workers: int) -> None:
        self.workload = workload
        self.tty = sys.stderr.isatty()
        self._last_line = 0.0
        self._live: Any = None
        self._bar: Any = None
        self._task: Any = None
        if self.tty:
            from rich.live import Live
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.fields[phase]:<10}"),
                BarColumn(bar_width=None),
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                expand=True,
            )
            self._task = self._bar.add_task(
                "load", total=workload.vus, phase="connecting", count=""
            )
            self._live = Live(self._render(""), console=_stderr_console(), refresh_per_second=4)
            self._live.start()

    def _render(self, figures: str) -> Any:
        from rich.console import Group
        from rich.text import Text

        return Group(self._bar, Text(figures, overflow="ellipsis", no_wrap=True))

    def update(self, snap: Snapshot) -> None:
        # The run's VUs, not the snapshot's: with --workers the first lines combine only the
        # processes that have reported so far.
        snap = dataclasses.replace(snap, vus=self.workload.vus)
        figures = (
            f"users {snap.connected:,}/{snap.vus:,}  sent {snap.sent_rate:,.0f}/s  "
            f"delivered {snap.delivered_rate:,.0f}/s  "
            f"p50 {_ms(snap.p50_ms)}  p99 {_ms(snap.p99_ms)}  errors {snap.errors:,}"
        )
        if self._live is not None:
            if snap.phase == "connecting":
                total, done = float(max(snap.vus, 1)), float(snap.connected)
                count = f"{snap.connected:,}/{snap.vus:,} connected"
            else:
                total = max(snap.duration, 0.001)
                done = snap.sending_elapsed
                count = f"{snap.sending_elapsed:,.0f}/{snap.duration:,.0f} s"
            self._bar.update(self._task, total=total, completed=done, phase=snap.phase, count=count)
            self._live.update(self._render(figures))
            return
        now = time.monotonic()
        if now - self._last_line < 2.0 and snap.phase != "done":
            return
        self._last_line = now
        try:
            sys.stderr.write(
                f"realtime-inspector load: {snap.elapsed:6.1f} s {snap.phase}: {figures}\n"
            )
            sys.stderr.flush()
        except (BrokenPipeError, ValueError):
            pass

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr)


def _ms(value: float | None) -> str:
    return "-" if value is None else format_value("p50", value)


# ---------------------------------------------------------------------------- workers


def _ranges(vus: int, n: int) -> list[range]:
    return [range(k * vus // n, (k + 1) * vus // n) for k in range(n)]


async def _run_workers(
    workload: Workload,
    settings: ClientSettings,
    secret: str | None,
    n: int,
    progress: _Progress,
    stop: Stop,
    out: Output,
) -> tuple[LoadStats, list[LoadStats]]:
    """Run ``n`` worker processes (disjoint VU ranges); their merged result and each one."""
    ranges = _ranges(workload.vus, n)
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    procs = []
    for vu_range in ranges:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "inspector",
            "load",
            "--worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            limit=2**28,
        )
        config = {
            "workload": workload.to_dict(),
            "url": settings.url,
            "key": settings.api_key,
            "vsn": settings.vsn,
            "token": settings.access_token,
            "jwt_secret": secret,
            "range": [vu_range.start, vu_range.stop],
        }
        assert proc.stdin is not None
        proc.stdin.write((json.dumps(config) + "\n").encode())
        await proc.stdin.drain()
        procs.append(proc)
    snaps: list[Snapshot | None] = [None] * n
    results: list[LoadStats | None] = [None] * n
    ready = [False] * n
    all_ready = asyncio.Event()

    def send_all(line: str) -> None:
        for proc in procs:
            if proc.stdin is not None and not proc.stdin.is_closing():
                try:
                    proc.stdin.write(line.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass

    def mark_ready(k: int) -> None:
        ready[k] = True
        if all(ready):
            all_ready.set()

    async def read(k: int) -> None:
        stream = procs[k].stdout
        assert stream is not None
        while True:
            try:
                raw = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):
                out.error(f"worker {k}: a line too long to read")
                break
            if not raw:
                break
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if "progress" in msg:
                snaps[k] = Snapshot.from_dict(msg["progress"])
                have = [s for s in snaps if s is not None]
                progress.update(Snapshot.combine(have))
            elif msg.get("ready"):
                mark_ready(k)
            elif "result" in msg:
                try:
                    results[k] = LoadStats.from_dict(msg["result"])
                except ValueError as exc:
                    out.error(f"worker {k}: {exc}")
        mark_ready(k)

    async def go() -> None:
        await all_ready.wait()
        send_all("go\n")

    async def forward_stop() -> None:
        await stop.wait()
        send_all("stop\n")

    readers = [asyncio.ensure_future(read(k)) for k in range(n)]
    helpers = [asyncio.ensure_future(go()), asyncio.ensure_future(forward_stop())]
    try:
        await asyncio.gather(*readers)
        codes = await asyncio.gather(*(p.wait() for p in procs))
    finally:
        for h in helpers:
            h.cancel()
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
    merged = LoadStats()
    merged.processes = 0
    merged.workload = workload.to_dict()
    parts = []
    for k, result in enumerate(results):
        if result is None:
            merged.error(f"worker {k} exited with code {codes[k]} and no result")
            continue
        parts.append(LoadStats.from_dict(result.to_dict()))
        merged.merge(result)
    return merged, parts


def _worker_main() -> int:
    """A worker process: the config on stdin, JSON lines on stdout (module docstring)."""
    line = sys.stdin.readline()
    try:
        config = json.loads(line)
        workload = Workload.from_dict(config["workload"])
        settings = ClientSettings(
            config["url"], config["key"], vsn=config["vsn"], access_token=config.get("token")
        )
        vu_range = range(*config["range"])
    except (ValueError, KeyError, TypeError, InvalidSettings) as exc:
        sys.stderr.write(f"realtime-inspector load worker: bad configuration: {exc}\n")
        return EXIT_USAGE
    secret = config.get("jwt_secret")

    def emit(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj, allow_nan=False, default=str) + "\n")
        sys.stdout.flush()

    async def main() -> int:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        stop = Stop()
        go = asyncio.Event()

        async def commands() -> None:
            while True:
                raw = await reader.readline()
                if not raw:
                    stop.set()  # the parent went away
                    go.set()
                    return
                word = raw.strip()
                if word == b"go":
                    go.set()
                elif word == b"stop":
                    stop.set()
                    go.set()

        async def ready() -> None:
            emit({"ready": True})
            await go.wait()

        def on_progress(snap: Snapshot) -> None:
            emit({"progress": {k: finite(v) for k, v in snap.to_dict().items()}})

        listener = asyncio.ensure_future(commands())
        token_for, claims_for = (
            _minter(secret, workload.max_run_seconds()) if secret else (None, None)
        )
        try:
            with stop_on_signals(stop):
                stats = await run_load(
                    workload,
                    settings,
                    vu_range=vu_range,
                    on_progress=on_progress,
                    stop=stop.event,
                    ready=ready,
                    token_for=token_for,
                    claims_for=claims_for,
                )
        finally:
            listener.cancel()
        emit({"result": stats.to_dict()})
        return EXIT_OK

    return asyncio.run(main())
