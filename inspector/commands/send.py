"""``realtime-inspector send``: broadcast to a channel and print each result and a summary.

Over the websocket (default) it connects, joins with ``--ack``/``--self``/``--private`` and
pushes; over REST (``--rest``) it posts to the single endpoint (``--batch``: the batch one).
Each result is one JSON line; the last line is ``{"summary": {...}}``
(:meth:`~inspector.client.send_summary.SendSummary.as_dict`: counts, elapsed, rate, round trip
p50/p95/p99/max in milliseconds). With ``--json`` only that summary object is printed.

Repeat and burst (issue #11 §3): ``--count N`` and/or ``--duration S``, paced by ``--rate R``
or windowed by ``--in-flight K`` (acks or REST answers), run by the client's
:class:`~inspector.client.repeat.RepeatSender`. The event name and the payload are templates
(:mod:`inspector.protocol.template`), expanded per message (``{{seq}}``, ``{{now}}``, ...). A
repeat run prints its summary as a table on stderr, and live progress there when stderr is a
terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from inspector.client import (
    ChannelConfig,
    InspectorError,
    InvalidPayload,
    RealtimeClient,
    RestResult,
)
from inspector.client.repeat import (
    Outcome,
    RepeatMessage,
    RepeatPlan,
    RepeatProgress,
    RepeatSender,
)
from inspector.client.send_summary import SendSummary

from .client_args import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Output,
    Stop,
    UsageError,
    add_connection_options,
    channel_names,
    count_arg,
    name_arg,
    rate_arg,
    run_main,
    seconds_arg,
    stop_on_signals,
    unless_stopped,
)
from .saved_profiles import add_profile_options, connection
from .send_saved import add_saved_options, apply_saved, message_source

HELP = "broadcast to a channel over the websocket or REST and print the results"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "send", help=HELP, description=HELP + ".", epilog=EXIT_CODES_HELP
    )
    add_connection_options(p, channel_required=False)
    add_profile_options(p)
    p.add_argument(
        "--event",
        type=name_arg("an event name"),
        metavar="E",
        help="the broadcast event name",
    )
    body = p.add_mutually_exclusive_group()
    body.add_argument("--payload", metavar="JSON", help="JSON payload, or @file with JSON")
    body.add_argument("--binary", metavar="@FILE", help="raw bytes from a file (vsn 2 or REST)")
    p.add_argument("--ack", action="store_true", help="ask the server to acknowledge each push")
    p.add_argument("--rest", action="store_true", help="send over REST instead of the websocket")
    p.add_argument("--batch", action="store_true", help="with --rest: use the batch endpoint")
    p.add_argument(
        "--count",
        type=count_arg,
        metavar="N",
        help="send N times (default 1, or as many as --duration allows)",
    )
    p.add_argument(
        "--duration",
        type=seconds_arg,
        metavar="S",
        help="keep sending for S seconds (with --count: whichever ends first)",
    )
    p.add_argument(
        "--rate",
        type=rate_arg,
        metavar="R",
        help="R sends per second, on fixed deadlines (default: as fast as allowed)",
    )
    p.add_argument(
        "--in-flight",
        type=count_arg,
        metavar="K",
        help="at most K sends waiting for their ack or REST answer (needs --ack or --rest; "
        "default 1 without --rate)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print only the summary, as one JSON object (no line per send)",
    )
    p.add_argument(
        "--timeout",
        type=seconds_arg,
        default=10.0,
        metavar="S",
        help="seconds to wait for each ack or REST answer (default 10)",
    )
    add_saved_options(p)  # issue #11: --saved, --library, --no-vars, --no-ack/--no-self
    p.epilog = (
        "The event name and the payload may hold variables, expanded for each message: "
        "{{seq}} (1, 2, 3, ...), {{now}}, {{now_ms}}, {{uuid}}, {{random_int:A:B}}, "
        "{{env.NAME}}, {{claims.sub}} ...; a JSON string that is only a placeholder takes its "
        'type ("{{seq}}" is a number); {{{{ writes {{. ' + EXIT_CODES_HELP
    )
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    return run_main("send", _send, args)


# ------------------------------------------------------------------ the message (templates)


def _read_binary(args: argparse.Namespace) -> tuple[bytes, bool]:
    """``(bytes, True)`` from ``--binary @FILE`` (a JSON ``--payload`` is read by
    ``send_saved.read_text_payload``); UsageError for a file that cannot be read, or for no
    payload at all (exit 2)."""
    if args.binary is None:
        raise UsageError("give the message: --payload JSON, --binary @FILE or --saved NAME")
    if not args.binary.startswith("@"):
        raise UsageError("--binary takes @FILE (raw bytes are read from the file)")
    try:
        return Path(args.binary[1:]).read_bytes(), True
    except OSError as exc:
        raise UsageError(f"cannot read {args.binary[1:]}: {exc.strerror or exc}") from exc


# ------------------------------------------------------------------ setup and connection


async def _send(args: argparse.Namespace, out: Output) -> int:
    apply_saved(args)  # issue #11: a saved message under the flags given
    if args.batch and not args.rest:
        raise UsageError("--batch needs --rest")
    if len(args.channel) != 1:
        raise UsageError("send takes exactly one --channel")
    if args.in_flight is not None and not (args.ack or args.rest):
        raise UsageError("--in-flight needs --ack (or --rest): without acks nothing is in flight")
    args.channel = channel_names(args.channel, out)
    try:  # flags, --email or --profile/--identity; no refresh loop: sends are short
        settings, _session = await connection(
            args, out, push_timeout=args.timeout, rest_timeout=args.timeout
        )
    except InspectorError as exc:
        out.error(exc.message)
        return EXIT_FAILURE
    # issue #11: variables per message ({{seq}} = n); the first is expanded here (exit 2)
    source = message_source(args, settings.access_token, lambda: _read_binary(args))
    binary = source.binary
    if binary and settings.vsn != "2.0.0" and not args.rest:
        raise UsageError("binary payloads need --vsn 2 over the websocket (or --rest)")
    make = source.repeat_message
    name = args.channel[0]
    plan = RepeatPlan(
        name,
        count=args.count if args.count is not None or args.duration is not None else 1,
        duration=args.duration,
        rate=args.rate,
        in_flight=args.in_flight,
        rest=args.rest,
        batch=args.batch,
        private=args.private if args.rest else None,
        timeout=args.timeout,
    )
    client = RealtimeClient(settings)
    stop = Stop()
    out.on_closed = stop.set
    try:
        with stop_on_signals(stop):
            if not args.rest:
                try:
                    config = ChannelConfig(
                        name,
                        broadcast_self=args.self_,
                        broadcast_ack=args.ack,
                        private=args.private,
                    )
                    if not await unless_stopped(_connect_and_join(client, config), stop):
                        summary = SendSummary()
                        summary.cancelled = True
                        return _finish(args, out, plan, summary, stop)
                except InspectorError as exc:
                    out.error(exc.message)
                    return EXIT_FAILURE
            summary = await _run_sends(args, out, client, plan, make, stop)
    except InvalidPayload as exc:
        out.error(exc.message)
        return EXIT_USAGE
    finally:
        await client.close()
    return _finish(args, out, plan, summary, stop)


async def _connect_and_join(client: RealtimeClient, config: ChannelConfig) -> None:
    await client.connect()
    await client.join(config)


# ------------------------------------------------------------------ the sends and the summary


def _is_repeat(plan: RepeatPlan) -> bool:
    """More than one send planned: the summary table (and progress) go to stderr."""
    return plan.duration is not None or (plan.count or 1) > 1


async def _run_sends(
    args: argparse.Namespace,
    out: Output,
    client: RealtimeClient,
    plan: RepeatPlan,
    make: Any,
    stop: Stop,
) -> SendSummary:
    """Run the sends with the client's repeat engine: a line per outcome on stdout (not with
    ``--json``), progress on stderr when it is a terminal; a signal or a closed stdout
    cancels, and the summary comes either way."""
    lines = None if args.json else _Lines(out, plan.channel)
    progress = _Progress() if _is_repeat(plan) and _stderr_is_tty() else None
    sender = RepeatSender(
        client,
        plan,
        make,
        on_outcome=lines.outcome if lines is not None else None,
        on_progress=progress.show if progress is not None else None,
    )
    watcher = asyncio.ensure_future(stop.wait())
    watcher.add_done_callback(lambda _t: sender.cancel())
    try:
        return await sender.run()
    finally:
        watcher.cancel()
        if progress is not None:
            progress.clear()
        out.flush()


def _finish(
    args: argparse.Namespace, out: Output, plan: RepeatPlan, summary: SendSummary, stop: Stop
) -> int:
    """Print the summary (stdout; a table on stderr for a repeat run) and choose the exit
    code."""
    if args.json:
        out.line(summary.as_dict())
    else:
        out.line({"summary": summary.as_dict()})
    out.flush()
    if _is_repeat(plan):
        out.table("summary", summary.format_table())
    sent = summary.sent
    planned = f" of {plan.count}" if plan.count is not None and plan.duration is None else ""
    if stop.signal is not None and summary.cancelled:
        out.error(f"interrupted after {sent}{planned} sends")
        return stop.exit_code()
    if out.closed and summary.cancelled:
        out.error(f"stdout was closed; stopped after {sent}{planned} sends")
        return EXIT_FAILURE
    failed = summary.failed
    if failed:
        out.error(f"{failed} of {sent} sends failed")
        return EXIT_FAILURE
    return EXIT_OK


class _Lines:
    """One JSON line per outcome (``i`` is the message's seq)."""

    def __init__(self, out: Output, channel: str) -> None:
        self.out = out
        self.channel = channel

    def outcome(self, seq: int, message: RepeatMessage, outcome: Outcome) -> None:
        line: dict[str, Any] = {"i": seq, "channel": self.channel, "event": message.event}
        result = outcome.result
        if isinstance(result, RestResult):
            line["endpoint"] = result.endpoint
            line["http"] = result.status
            line["latency_ms"] = round(result.latency * 1000, 3)
        line["status"] = outcome.status
        if outcome.rtt is not None and not isinstance(result, RestResult):
            line["rtt_ms"] = round(outcome.rtt * 1000, 3)
        if outcome.error_text is not None:
            line["error"] = outcome.error_text
        self.out.line(line)
        if self.out.buffered >= 256:  # written in batches, not a write per line
            self.out.flush()


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """One status line on a terminal's stderr, rewritten in place."""

    def show(self, p: RepeatProgress) -> None:
        if p.done:
            return
        of = f"/{p.total:,}" if p.total is not None and p.duration is None else ""
        text = (
            f"sent {p.sent:,}{of}  ok {p.ok:,}  error {p.error:,}  timed out {p.timed_out:,}"
            f"  {p.rate:,.0f} msg/s  {p.elapsed:.1f} s"
        )
        self._write("\r\x1b[K" + text)

    def clear(self) -> None:
        self._write("\r\x1b[K")

    @staticmethod
    def _write(text: str) -> None:
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except (BrokenPipeError, ValueError):
            pass
