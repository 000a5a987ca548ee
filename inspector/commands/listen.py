"""``realtime-inspector listen``: join channels and print one JSON line per event (headless).

Each line has ``time`` (UTC, ms), ``channel``, ``event``, ``payload``, ``meta`` and ``kind``:
``broadcast``, ``presence``, ``system`` (server system messages, connection changes, other
channel events), ``join`` (channel state changes) or ``error``. Binary payloads print as
``{"$binary": "<base64>"}`` with ``"binary": true``. Runs until Ctrl+C, or until ``--count``
broadcasts arrived or ``--timeout`` seconds passed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time
from typing import Any

from inspector.client import (
    BroadcastReceived,
    ChannelConfig,
    ChannelMessage,
    ChannelStateChanged,
    ClientEvent,
    ConnectionStateChanged,
    ErrorOccurred,
    FrameRejected,
    InspectorError,
    PresenceChanged,
    RealtimeClient,
    SystemMessage,
)
from inspector.protocol.frames import channel_name

from .client_args import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_TIMEOUT,
    Output,
    add_connection_options,
    run_main,
    settings_from,
    stop_on_signals,
)

HELP = "join channels and print one JSON line per event until Ctrl+C"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "listen", help=HELP, description=HELP + ".", epilog=EXIT_CODES_HELP
    )
    add_connection_options(p)
    p.add_argument(
        "--event",
        action="append",
        metavar="E",
        help="only broadcasts with this event (repeatable; case-insensitive; * = all)",
    )
    p.add_argument(
        "--presence-key",
        metavar="K",
        help="enable presence with this key (prints presence state and diffs)",
    )
    p.add_argument("--count", type=int, metavar="N", help="stop after N broadcasts")
    p.add_argument("--timeout", type=float, metavar="S", help="stop after S seconds")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    return run_main("listen", _listen, args)


class _Printer:
    """Turns client events into output lines and counts broadcasts."""

    def __init__(self, out: Output, count: int | None, loop: asyncio.AbstractEventLoop) -> None:
        self.out = out
        self.count = count
        self.broadcasts = 0
        self.done = asyncio.Event()
        self._loop = loop
        self._flush_scheduled = False
        # Event times are loop times; convert to wall clock once.
        self._offset = time.time() - loop.time()

    def _time(self, at: float) -> str:
        stamp = dt.datetime.fromtimestamp(at + self._offset, dt.UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _line(
        self,
        at: float,
        kind: str,
        topic: str | None,
        event: str,
        payload: Any,
        meta: Any = None,
        **extra: Any,
    ) -> None:
        line = {
            "time": self._time(at),
            "channel": channel_name(topic) if topic else None,
            "event": event,
            "payload": payload,
            "meta": meta,
            "kind": kind,
        }
        line.update(extra)
        self.out.line(line)

    def __call__(self, e: ClientEvent) -> None:
        """The client's ``on_event``: print, then flush once the burst is over."""
        self.handle(e, self._loop.time())
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        self.out.flush()

    def handle(self, e: ClientEvent, now: float) -> None:
        if isinstance(e, BroadcastReceived):
            if self.count is not None and self.broadcasts >= self.count:
                return
            self.broadcasts += 1
            extra = {"binary": True} if e.binary else {}
            self._line(
                e.received_at, "broadcast", e.topic, e.event, e.display_payload(), e.meta(), **extra
            )
            if self.count is not None and self.broadcasts >= self.count:
                self.done.set()
        elif isinstance(e, PresenceChanged):
            payload = {"joins": e.joins, "leaves": e.leaves, "state": e.state}
            self._line(e.at, "presence", e.topic, f"presence_{e.kind}", payload)
        elif isinstance(e, SystemMessage):
            self._line(e.at, "system", e.topic, "system", e.payload)
        elif isinstance(e, ChannelMessage):
            self._line(e.at, "system", e.topic, e.event, e.payload)
        elif isinstance(e, ChannelStateChanged):
            payload = {
                "state": e.state.value,
                "cause": e.cause.value,
                "reason": e.reason,
                "retry_in": e.retry_in,
            }
            self._line(e.at, "join", e.topic, e.state.value, payload)
        elif isinstance(e, ConnectionStateChanged):
            payload = {
                "state": e.state.value,
                "attempt": e.attempt,
                "retry_in": e.retry_in,
                "reason": e.reason,
            }
            self._line(e.at, "system", None, "connection", payload)
        elif isinstance(e, ErrorOccurred):
            topic = getattr(e.error, "topic", None)
            self._line(e.at, "error", topic, type(e.error).__name__, {"message": e.error.message})
        elif isinstance(e, FrameRejected):
            self._line(now, "error", None, "frame_rejected", {"reason": e.reason})


async def _listen(args: argparse.Namespace, out: Output) -> int:
    settings = settings_from(args)
    loop = asyncio.get_running_loop()
    printer = _Printer(out, args.count, loop)
    client = RealtimeClient(settings, on_event=printer)
    stop = asyncio.Event()
    deadline = None if args.timeout is None else loop.time() + args.timeout
    try:
        with stop_on_signals(stop):
            try:
                await client.connect()
                for name in args.channel:
                    cfg = ChannelConfig(
                        name,
                        broadcast_self=args.self_,
                        presence_key=args.presence_key or "",
                        presence_enabled=args.presence_key is not None,
                        private=args.private,
                        events=tuple(args.event or ("*",)),
                    )
                    await client.join(cfg)
            except InspectorError as exc:
                await client.close()
                out.error(exc.message)
                return EXIT_FAILURE
            waits = [loop.create_task(stop.wait()), loop.create_task(printer.done.wait())]
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for task in waits:
                task.cancel()
    finally:
        await client.close()
        out.flush()
    if args.count is not None and printer.broadcasts < args.count and not stop.is_set():
        out.error(
            f"timed out after {args.timeout:g} s with {printer.broadcasts} of "
            f"{args.count} broadcasts"
        )
        return EXIT_TIMEOUT
    return EXIT_OK
