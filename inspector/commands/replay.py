"""``realtime-inspector replay``: send the broadcasts of a recording into a channel again.

A recording is a tab export or ``listen`` output (NDJSON; :mod:`inspector.store.transfer.recording`
reads it). The engine is :mod:`inspector.client.replay`, the same one the window uses: original
timing (``--speed``, x0.5 .. x100) or ``--rate``, ``--event`` and ``--direction`` filters,
``--loop``. Payloads go out as recorded (binary stays binary).

A file whose first line is not a recording line is refused before anything is sent (exit 2);
a malformed line later on is skipped, named on stderr with its line number, and counted. The
summary (counts, ack round trip p50/p95/p99/max) is a table on stderr; with ``--json`` it is
also one JSON object on stdout. Exit codes are ``send``'s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

from inspector.client import ChannelConfig, InspectorError, RealtimeClient
from inspector.client.replay import (
    DIRECTIONS,
    MAX_SPEED,
    MIN_SPEED,
    REST,
    WEBSOCKET,
    Replayer,
    ReplayOptions,
    ReplayProgress,
    SendOutcome,
    select,
)
from inspector.protocol.event_filter import parse_event_list
from inspector.protocol.invisible import reveal
from inspector.protocol.redact import redact_text
from inspector.protocol.template import (
    TemplateError,
    Variables,
    expand_json,
    expand_text,
    has_placeholders,
)
from inspector.store.library import claims_of
from inspector.store.transfer.export import MAX_LINE_BYTES
from inspector.store.transfer.recording import NotARecording, Recording, read_recording

from .client_args import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_OK,
    Output,
    Stop,
    UsageError,
    add_connection_options,
    channel_names,
    count_arg,
    rate_arg,
    run_main,
    seconds_arg,
    settings_from,
    stop_on_signals,
    unless_stopped,
)

HELP = "send the broadcasts of a recording (tab export or listen output) into a channel"
#: Malformed lines named one by one on stderr; the rest are counted.
SHOWN_ERRORS: Final = 5


def speed_arg(text: str) -> float:
    """``--speed``: a factor from x0.5 to x100 (``2``, ``x2`` and ``2x`` all mean x2)."""
    cleaned = text.strip().lower().removeprefix("x").removesuffix("x")
    try:
        value = float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a factor such as 2 or x0.5, got {text!r}"
        ) from None
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(
            f"must be between {MIN_SPEED:g} and {MAX_SPEED:g}, got {text!r}"
        )
    return value


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "replay", help=HELP, description=HELP + ".", epilog=EXIT_CODES_HELP
    )
    p.add_argument("file", metavar="FILE", help="the NDJSON recording ('-' reads stdin)")
    add_connection_options(p)
    timing = p.add_mutually_exclusive_group()
    timing.add_argument(
        "--speed",
        type=speed_arg,
        default=1.0,
        metavar="X",
        help=f"play the recorded gaps X times faster (x{MIN_SPEED:g} .. x{MAX_SPEED:g}; "
        "default 1: the original timing)",
    )
    timing.add_argument(
        "--rate", type=rate_arg, metavar="R", help="ignore the recorded timing: R messages/s"
    )
    p.add_argument(
        "--event",
        action="append",
        metavar="GLOB",
        help="only these events (repeatable or comma-separated; case-insensitive; * and ? are "
        "wildcards, a backslash makes the next character literal)",
    )
    p.add_argument(
        "--direction",
        choices=DIRECTIONS,
        default="in",
        help="which recorded rows: in (received by the recorder; default), out (sent by it), "
        "or both",
    )
    p.add_argument(
        "--from-channel",
        metavar="NAME",
        help="only the rows recorded on this channel (a file may hold several)",
    )
    p.add_argument(
        "--loop", type=count_arg, default=1, metavar="N", help="play the recording N times"
    )
    p.add_argument("--ack", action="store_true", help="ask the server to acknowledge each push")
    p.add_argument(
        "--via",
        choices=[WEBSOCKET, REST],
        default=WEBSOCKET,
        help="send over the websocket (default) or REST",
    )
    p.add_argument(
        "--timeout",
        type=seconds_arg,
        default=10.0,
        metavar="S",
        help="seconds to wait for each ack or REST answer (default 10)",
    )
    p.add_argument(
        "--expand-vars",
        action="store_true",
        help="expand {{variables}} in recorded events and JSON payloads at each send ({{seq}} "
        "counts the sends from 1); by default payloads go out exactly as recorded",
    )
    p.add_argument(
        "--json", action="store_true", help="also print the summary as one JSON object on stdout"
    )
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    return run_main("replay", _replay, args)


def _read(path: str) -> Recording:
    """The recording in ``path`` (``-``: stdin), read a line at a time; UsageError when it
    cannot be one."""
    shown = "stdin" if path == "-" else path
    try:
        if path == "-":
            return read_recording(_lines(sys.stdin.buffer))
        with Path(path).open("rb") as fh:
            return read_recording(_lines(fh))
    except OSError as exc:
        raise UsageError(f"cannot read {shown}: {exc.strerror or exc}") from exc
    except NotARecording as exc:
        raise UsageError(f"{shown} is not a recording: {exc}") from exc


def _lines(stream: BinaryIO) -> Iterator[str]:
    """Text lines; one over MAX_LINE_BYTES is skipped without being held whole and comes out as
    text that is not JSON (a malformed line, named with its number). Bytes that are not UTF-8
    are replaced, so such a line is malformed too unless it is JSON anyway."""
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield f"(longer than {MAX_LINE_BYTES >> 20} MiB: not read)"
            continue
        yield raw.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class _Expanded:
    """A recorded broadcast with its variables expanded for one send."""

    offset: float
    event: str
    payload: Any
    binary: bool


def _expander(items: Sequence[Any], token: str | None) -> Callable[[int, Any], Any]:
    """``prepare`` for the replayer: each send's event and JSON payload expanded with its
    ``{{seq}}`` (sends counted from 1 over every pass) and time; binary payloads go out as
    recorded. Every item is expanded once first, so a bad template (an unknown variable, an
    unset environment variable) is a usage error before anything is sent."""
    base = Variables(env=dict(os.environ), claims=claims_of(token))

    def expand(index: int, item: Any) -> _Expanded:
        variables = replace(base, seq=index + 1, now=datetime.now(UTC))
        event = expand_text(item.event, variables)
        payload = item.payload
        if not item.binary:
            text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            if has_placeholders(text):
                payload = expand_json(text, variables)
        return _Expanded(item.offset, event, payload, item.binary)

    for number, item in enumerate(items, 1):
        try:
            expand(0, item)
        except TemplateError as exc:
            raise UsageError(f"--expand-vars: message {number} ({item.event}): {exc}") from exc
    return expand


def _report_errors(out: Output, recording: Recording) -> None:
    for number, reason in recording.errors[:SHOWN_ERRORS]:
        out.note(f"line {number} skipped: {reason}")
    more = recording.error_count - min(len(recording.errors), SHOWN_ERRORS)
    if more > 0:
        out.note(f"{more:,} more malformed lines skipped")


class _Reasons:
    """Why sends failed: each distinct reason with its count, in the order first seen (the
    replayer's ``on_result``)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def __call__(self, _index: int, _item: Any, outcome: SendOutcome) -> None:
        if outcome.status in ("error", "timed_out"):
            reason = outcome.error or outcome.status.replace("_", " ")
            self.counts[reason] = self.counts.get(reason, 0) + 1

    def text(self) -> str:
        """``: HTTP 403: Unauthorized`` (the first reason), ``(and 2 other reasons)`` when
        there were more; empty without a reason."""
        if not self.counts:
            return ""
        first = next(iter(self.counts))
        more = len(self.counts) - 1
        tail = f" (and {more} other reason{'s' if more > 1 else ''})" if more else ""
        return f": {first}{tail}"


class _Progress:
    """A one-line progress display on a terminal's stderr (nothing when stderr is a file)."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.shown = False

    def __call__(self, p: ReplayProgress) -> None:
        if not self.live or p.finished:
            return
        s = p.summary
        state = " (paused)" if p.paused else ""
        sys.stderr.write(
            f"\rreplay: {p.done:,}/{p.total:,} sent, {s.ok:,} ok, {s.error:,} error, "
            f"{s.timed_out:,} timed out, {s.rate:,.0f} msg/s{state}   "
        )
        sys.stderr.flush()
        self.shown = True

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


async def _replay(args: argparse.Namespace, out: Output) -> int:
    if len(args.channel) != 1:
        raise UsageError("replay takes exactly one --channel")
    args.channel = channel_names(args.channel, out)
    name = args.channel[0]
    if args.ack and args.via == REST:
        raise UsageError("--ack is for the websocket; REST answers every request anyway")
    events: tuple[str, ...] = ()
    for text in args.event or ():
        events += parse_event_list(text)
    options = ReplayOptions(
        speed=args.speed,
        rate=args.rate,
        events=events,
        direction=args.direction,
        source_channel=args.from_channel,
        loops=args.loop,
        via=args.via,
    )
    settings = settings_from(args, push_timeout=args.timeout, rest_timeout=args.timeout)
    out.hide(settings.api_key, settings.access_token)
    recording = _read(args.file)
    _report_errors(out, recording)
    chosen = select(recording.messages, options)
    if not chosen.items:
        raise UsageError(f"nothing to replay: {chosen.empty_reason(options)}")
    if (
        args.via == WEBSOCKET
        and settings.vsn != "2.0.0"
        and any(item.binary for item in chosen.items)
    ):
        raise UsageError(
            "the recording holds binary payloads: they need --vsn 2 over the websocket "
            "(or --via rest)"
        )
    prepare = _expander(chosen.items, settings.access_token) if args.expand_vars else None
    client = RealtimeClient(settings)
    stop = Stop()
    out.on_closed = stop.set
    progress = _Progress()
    reasons = _Reasons()
    replayer = Replayer(
        client,
        name,
        chosen.items,
        options,
        on_progress=progress,
        on_result=reasons,
        private=args.private,
        prepare=prepare,
    )
    try:
        with stop_on_signals(stop):
            if args.via == WEBSOCKET:
                config = ChannelConfig(
                    name, broadcast_self=args.self_, broadcast_ack=args.ack, private=args.private
                )
                try:
                    joined = await unless_stopped(_connect_and_join(client, config), stop)
                except InspectorError as exc:
                    out.error(exc.message)
                    return EXIT_FAILURE
                if not joined:
                    out.error("interrupted before the channel was joined")
                    return stop.exit_code()
            stopper = asyncio.ensure_future(_cancel_on(stop, replayer))
            try:
                summary = await replayer.run()
            finally:
                stopper.cancel()
    finally:
        progress.end()
        await client.close()
    extra = _extra(args, recording, chosen.left_out, replayer)
    _table_to_stderr(
        out, summary.format_table(f"replay of {_shown(args.file)} into {name}:", _table(extra))
    )
    if args.json:
        out.line({**summary.as_dict(), **extra})
        out.flush()
    if replayer.stop_reason:
        out.error(
            f"stopped after {replayer.done:,} of {replayer.total:,} sends: {replayer.stop_reason}"
        )
        return EXIT_FAILURE
    if replayer.cancelled and stop.signal is not None:
        out.error(f"interrupted after {replayer.done:,} of {replayer.total:,} sends")
        return stop.exit_code()
    if replayer.cancelled and out.closed:
        out.error(f"stdout was closed; stopped after {replayer.done:,} of {replayer.total:,}")
        return EXIT_FAILURE
    if summary.failed:
        out.error(f"{summary.failed:,} of {summary.sent:,} sends failed{reasons.text()}")
        return EXIT_FAILURE
    return EXIT_OK


def _shown(path: str) -> str:
    return "stdin" if path == "-" else path


def _extra(
    args: argparse.Namespace, recording: Recording, left_out: int, replayer: Replayer
) -> dict[str, Any]:
    return {
        "file": _shown(args.file),
        "channel": args.channel[0],
        "messages": len(replayer.items),
        "loops": args.loop,
        "timing": f"{args.rate:g} msg/s" if args.rate else f"x{args.speed:g}",
        "via": args.via,
        "left_out": left_out,
        "not_broadcasts": recording.not_messages,
        "skipped_lines": recording.error_count,
        "late_max_ms": round(replayer.late_max * 1000, 3),
        "cancelled": replayer.cancelled,
        "stopped": replayer.stop_reason or None,
    }


def _table(extra: dict[str, Any]) -> dict[str, object]:
    return {
        "messages": f"{extra['messages']:,} × {extra['loops']} ({extra['timing']})",
        "left out": f"{extra['left_out']:,} by filters, {extra['not_broadcasts']:,} not "
        f"broadcasts, {extra['skipped_lines']:,} malformed lines",
        "latest send": f"{extra['late_max_ms']:.3f} ms after its time",
    }


def _table_to_stderr(out: Output, table: str) -> None:
    """The summary table on stderr: its title as a command line, its rows as they are (each
    made one safe line: the file and channel names are the user's)."""
    title, *rows = table.splitlines()
    out.error(title)
    try:
        for row in rows:
            sys.stderr.write(reveal(redact_text(row), multiline=False) + "\n")
        sys.stderr.flush()
    except BrokenPipeError:
        pass


async def _cancel_on(stop: Stop, replayer: Replayer) -> None:
    await stop.wait()
    replayer.cancel()


async def _connect_and_join(client: RealtimeClient, config: ChannelConfig) -> None:
    await client.connect()
    await client.join(config)
