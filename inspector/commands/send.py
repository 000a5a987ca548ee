"""``realtime-inspector send``: broadcast to a channel and print each result and a summary.

Over the websocket (default) it connects, joins with ``--ack``/``--self``/``--private`` and
pushes; over REST (``--rest``) it posts to the single endpoint (``--batch``: the batch one).
Each result is one JSON line; the last line is ``{"summary": {...}}`` with the counts (sent,
ok, error, timed_out, dropped) and the round trip p50/p99 in milliseconds (acks or REST).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
from pathlib import Path
from typing import Any

from inspector.client import (
    ChannelConfig,
    InspectorError,
    InvalidPayload,
    PushResult,
    PushStatus,
    RealtimeClient,
    RestResult,
)

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
    settings_from,
    stop_on_signals,
    unless_stopped,
)
from .send_saved import add_saved_options, apply_saved, message_source

HELP = "broadcast to a channel over the websocket or REST and print the results"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "send", help=HELP, description=HELP + ".", epilog=EXIT_CODES_HELP
    )
    add_connection_options(p, channel_required=False)
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
        "--count", type=count_arg, default=1, metavar="N", help="send N times (default 1)"
    )
    p.add_argument("--rate", type=rate_arg, metavar="R", help="at most R sends per second")
    p.add_argument(
        "--timeout",
        type=seconds_arg,
        default=10.0,
        metavar="S",
        help="seconds to wait for each ack or REST answer (default 10)",
    )
    add_saved_options(p)  # issue #11: --saved, --library, --no-vars, --no-ack/--no-self
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    return run_main("send", _send, args)


def _read_payload(args: argparse.Namespace) -> tuple[Any, bool]:
    """(payload, binary) from --payload / --binary; UsageError for bad input (exit 2)."""
    if args.binary is not None:
        if not args.binary.startswith("@"):
            raise UsageError("--binary takes @FILE (raw bytes are read from the file)")
        try:
            return Path(args.binary[1:]).read_bytes(), True
        except OSError as exc:
            raise UsageError(f"cannot read {args.binary[1:]}: {exc.strerror or exc}") from exc
    text = args.payload
    where = "--payload"
    if text.startswith("@"):
        where = text[1:]
        try:
            text = Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"cannot read {where}: {getattr(exc, 'strerror', None) or exc}"
            ) from exc
    try:
        return json.loads(text), False
    except ValueError as exc:
        raise UsageError(f"the payload in {where} is not valid JSON: {exc}") from exc


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100), or None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


class _Tally:
    def __init__(self, out: Output, channel: str, event: str) -> None:
        self.out = out
        self.channel = channel
        self.event = event
        self.counts = {"sent": 0, "ok": 0, "error": 0, "timed_out": 0, "dropped": 0}
        self.rtts: list[float] = []

    def push(self, i: int, r: PushResult) -> None:
        status = r.status.value
        self.counts["sent"] += 1
        if r.status is not PushStatus.SENT:
            self.counts[status] += 1
        line: dict[str, Any] = {
            "i": i,
            "channel": self.channel,
            "event": self.event,
            "status": status,
        }
        if r.rtt is not None:
            self.rtts.append(r.rtt)
            line["rtt_ms"] = round(r.rtt * 1000, 3)
        if r.status not in (PushStatus.OK, PushStatus.SENT):
            line["error"] = r.error_text()
        self.out.line(line)

    def rest(self, i: int, r: RestResult) -> None:
        self.counts["sent"] += 1
        line: dict[str, Any] = {
            "i": i,
            "channel": self.channel,
            "event": self.event,
            "endpoint": r.endpoint,
            "http": r.status,
            "latency_ms": round(r.latency * 1000, 3),
        }
        if r.ok:
            self.counts["ok"] += 1
            self.rtts.append(r.latency)
            line["status"] = "ok"
        elif r.timed_out:
            self.counts["timed_out"] += 1
            line["status"] = "timed_out"
            line["error"] = r.error
        else:
            self.counts["error"] += 1
            line["status"] = "error"
            line["error"] = r.error
        self.out.line(line)

    def failure(self, i: int, message: str) -> None:
        self.counts["sent"] += 1
        self.counts["error"] += 1
        self.out.line(
            {
                "i": i,
                "channel": self.channel,
                "event": self.event,
                "status": "error",
                "error": message,
            }
        )

    @property
    def failed(self) -> int:
        return self.counts["error"] + self.counts["timed_out"] + self.counts["dropped"]

    def summary(self) -> dict[str, Any]:
        p50, p99 = percentile(self.rtts, 50), percentile(self.rtts, 99)
        return {
            "summary": {
                **self.counts,
                "rtt_ms": {
                    "p50": None if p50 is None else round(p50 * 1000, 3),
                    "p99": None if p99 is None else round(p99 * 1000, 3),
                },
            }
        }


async def _paced(count: int, rate: float | None, stop: Stop) -> Any:
    """Yield 1..count, at most ``rate`` per second (pacing, not waiting for events)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i in range(1, count + 1):
        if stop.is_set():
            return
        if rate:
            due = start + (i - 1) / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        else:
            # a send without an ack completes without waiting: give the loop its turn, so the
            # socket is written and Ctrl+C/SIGTERM are seen during a long --count (item 8)
            await asyncio.sleep(0)
        yield i


async def _send(args: argparse.Namespace, out: Output) -> int:
    apply_saved(args)  # issue #11: a saved message under the flags given
    if args.batch and not args.rest:
        raise UsageError("--batch needs --rest")
    if len(args.channel) != 1:
        raise UsageError("send takes exactly one --channel")
    args.channel = channel_names(args.channel, out)
    settings = settings_from(args, push_timeout=args.timeout, rest_timeout=args.timeout)
    out.hide(settings.api_key, settings.access_token)
    # issue #11: variables per message ({{seq}} = i); the first is expanded here (exit 2)
    source = message_source(args, settings.access_token, lambda: _read_payload(args))
    binary = source.binary
    if binary and settings.vsn != "2.0.0" and not args.rest:
        raise UsageError("binary payloads need --vsn 2 over the websocket (or --rest)")
    name = args.channel[0]
    tally = _Tally(out, name, args.event)
    client = RealtimeClient(settings)
    stop = Stop()
    out.on_closed = stop.set
    try:
        with stop_on_signals(stop):
            if args.rest:
                async for i in _paced(args.count, args.rate, stop):
                    event, payload = source.at(i)
                    result = await client.rest_send(
                        name,
                        event,
                        payload,
                        binary=binary,
                        private=args.private,
                        batch=args.batch,
                    )
                    tally.rest(i, result)
                    out.flush()
            else:
                try:
                    config = ChannelConfig(
                        name,
                        broadcast_self=args.self_,
                        broadcast_ack=args.ack,
                        private=args.private,
                    )
                    await unless_stopped(_connect_and_join(client, config), stop)
                except InspectorError as exc:
                    out.error(exc.message)
                    return EXIT_FAILURE
                pending: list[asyncio.Task[PushResult]] = []
                async for i in _paced(args.count, args.rate, stop):
                    event, payload = source.at(i)
                    send = client.send(name, event, payload, binary=binary)
                    if args.rate:
                        task = asyncio.ensure_future(send)
                        task.add_done_callback(lambda t, i=i: _record(tally, i, t))
                        pending.append(task)
                    else:
                        tally.push(i, await send)
                        out.flush()
                if pending:
                    await asyncio.gather(*pending, return_exceptions=True)
    except InvalidPayload as exc:
        out.error(exc.message)
        return EXIT_USAGE
    finally:
        await client.close()
    out.line(tally.summary())
    out.flush()
    sent = tally.counts["sent"]
    if stop.signal is not None and sent < args.count:
        out.error(f"interrupted after {sent} of {args.count} sends")
        return stop.exit_code()
    if out.closed and sent < args.count:
        out.error(f"stdout was closed; stopped after {sent} of {args.count} sends")
        return EXIT_FAILURE
    if tally.failed:
        out.error(f"{tally.failed} of {tally.counts['sent']} sends failed")
        return EXIT_FAILURE
    return EXIT_OK


async def _connect_and_join(client: RealtimeClient, config: ChannelConfig) -> None:
    await client.connect()
    await client.join(config)


def _record(tally: _Tally, i: int, task: asyncio.Task[PushResult]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        tally.push(i, task.result())
    else:
        tally.failure(i, exc.message if isinstance(exc, InspectorError) else str(exc))
    tally.out.flush()
