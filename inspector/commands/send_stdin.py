"""``send --stdin``: one broadcast per NDJSON line of standard input (issue #15 item 8).

A line is a JSON object in one of two shapes:

- ``{"event": "E", "payload": ...}`` (``"binary": true`` with ``{"$binary": "<base64>"}`` for
  bytes); without ``event`` the ``--event`` given on the command line is used;
- a ``listen`` line (``kind``, ``time``, ``channel``, ``event``, ``payload``, ``meta``): only
  ``kind: broadcast`` lines are sent, the others (join, presence, system, error lines) are
  skipped and counted, so ``listen ... | send --stdin --channel other`` forwards a channel.

The channel is always ``--channel`` (a ``listen`` line's ``channel`` is not followed); lines
are data, not templates (``{{...}}`` is sent as it is). A ``listen`` line with ``[redacted]``
values (listen without ``--show-secrets``) is sent as it is, with a note on stderr (once). Lines
are read and sent as they come (a pipe that stays open keeps the command running), in order,
one at a time: with ``--ack`` each waits for its ack. A bad line (not JSON, not an object, no
event, a bad ``$binary``) is reported on stderr with its line number and skipped; sending goes
on. Each sent line prints a result line with ``i`` = its line number; the last line is the
summary, which counts ``lines``, ``bad_lines`` and ``skipped`` too. Exit code: 1 if a send
failed, else 2 if a line was bad, else 0 (128 + the signal when interrupted).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import json
import sys
import threading
from typing import Any

from inspector.client import InspectorError, InvalidPayload, RealtimeClient
from inspector.client.repeat import Outcome
from inspector.client.repeat import _push_outcome as push_outcome
from inspector.client.repeat import _rest_outcome as rest_outcome
from inspector.client.send_summary import SendSummary
from inspector.protocol.redact import REDACTED

from .client_args import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Output, Stop, UsageError

#: Lines read ahead of the sends (the reader thread waits when the queue is full).
QUEUE_LINES = 1024
#: Bad lines reported one by one on stderr; after that only counted.
MAX_REPORTED = 50


def parse_line(text: str, default_event: str | None) -> tuple[str, Any, bool] | None:
    """``(event, payload, binary)`` of one line, None for a ``listen`` line that is not a
    broadcast; ValueError with the reason for a bad line."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError('not a JSON object (expected {"event": ..., "payload": ...})')
    kind = data.get("kind")
    if kind is not None and kind != "broadcast":
        return None
    event = data.get("event", default_event)
    if not isinstance(event, str) or not event:
        raise ValueError('no event: give "event" in the line or --event')
    if "payload" not in data:
        raise ValueError('no "payload"')
    payload = data["payload"]
    binary = data.get("binary") is True
    if binary:
        raw = payload.get("$binary") if isinstance(payload, dict) else None
        if not isinstance(raw, str):
            raise ValueError('a binary line needs "payload": {"$binary": "<base64>"}')
        try:
            payload = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"$binary is not base64: {exc}") from None
    return event, payload, binary


def check_args(args: argparse.Namespace) -> None:
    """What ``--stdin`` cannot be combined with (exit 2)."""
    clash = [
        flag
        for flag, value in (
            ("--payload", args.payload),
            ("--binary", args.binary),
            ("--saved", args.saved),
            ("--count", args.count),
            ("--duration", args.duration),
            ("--rate", args.rate),
            ("--in-flight", args.in_flight),
        )
        if value is not None
    ]
    if clash:
        raise UsageError(f"--stdin reads the messages from standard input: not with {clash[0]}")
    if not args.channel:
        raise UsageError("send --stdin needs --channel")
    if args.batch and not args.rest:
        raise UsageError("--batch needs --rest")


def _start_reader(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]) -> None:
    """Read standard input line by line in a thread and hand the lines to ``queue`` (None at
    the end), waiting while the queue is full."""

    def put(item: bytes | None) -> bool:
        try:
            asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()
            return True
        except (RuntimeError, asyncio.CancelledError):  # the loop is gone: the command ended
            return False

    def read() -> None:
        stream = sys.stdin.buffer
        try:
            for raw in stream:
                if not put(raw):
                    return
        except (OSError, ValueError):
            pass
        put(None)

    threading.Thread(target=read, name="send-stdin", daemon=True).start()


class StdinSender:
    """Sends each line of standard input on a joined client (or over REST)."""

    def __init__(
        self,
        args: argparse.Namespace,
        out: Output,
        client: RealtimeClient,
        channel: str,
        stop: Stop,
        *,
        binary_ok: bool,
    ) -> None:
        self.args = args
        self.out = out
        self.client = client
        self.channel = channel
        self.stop = stop
        self.binary_ok = binary_ok
        self.summary = SendSummary()
        self.lines = 0
        self.bad = 0
        self.skipped = 0
        self.told_redacted = False

    def _bad(self, number: int, reason: str) -> None:
        self.bad += 1
        if self.bad <= MAX_REPORTED:
            self.out.error(f"line {number}: {reason}; skipped")
        elif self.bad == MAX_REPORTED + 1:
            self.out.error("more bad lines: only counted from here on (see the summary)")

    async def run(self) -> SendSummary:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_LINES)
        _start_reader(loop, queue)
        start = loop.time()
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait((getter, stopper), return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    self.summary.cancelled = True
                    break
                raw = getter.result()
                if raw is None:
                    break
                self.lines += 1
                await self._line(self.lines, raw)
                if self.out.buffered >= 256:
                    self.out.flush()
        finally:
            stopper.cancel()
            self.summary.elapsed = loop.time() - start
            self.out.flush()
        return self.summary

    async def _line(self, number: int, raw: bytes) -> None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self._bad(number, "not UTF-8 text")
            return
        if not text.strip():
            return
        try:
            parsed = parse_line(text, self.args.event)
        except ValueError as exc:
            self._bad(number, str(exc))
            return
        if parsed is None:
            self.skipped += 1
            return
        event, payload, binary = parsed
        if not self.told_redacted and REDACTED in text and "kind" in text:
            # listen's own line with values it redacted: they go out as that text
            self.told_redacted = True
            self.out.note(
                f"line {number} holds {REDACTED} values: listen redacts secret-looking values "
                "and they are sent as that text; run listen with --show-secrets to forward "
                "payloads unchanged"
            )
        if binary and not self.binary_ok:
            self._bad(number, "a binary payload needs --vsn 2 over the websocket (or --rest)")
            return
        self.summary.record_sent()
        try:
            outcome = await self._send(event, payload, binary)
        except InvalidPayload as exc:
            self.summary.sent -= 1
            self._bad(number, exc.message)
            return
        except InspectorError as exc:
            outcome = Outcome("error", None, None, exc.message)
        self.summary.record(outcome.status, outcome.rtt)
        line: dict[str, Any] = {"i": number, "channel": self.channel, "event": event}
        result = outcome.result
        if result is not None and hasattr(result, "endpoint"):
            line["endpoint"] = result.endpoint
            line["http"] = result.status
            line["latency_ms"] = round(result.latency * 1000, 3)
        line["status"] = outcome.status
        if outcome.rtt is not None and not hasattr(result, "endpoint"):
            line["rtt_ms"] = round(outcome.rtt * 1000, 3)
        if outcome.error_text is not None:
            line["error"] = outcome.error_text
        if not self.args.json:
            self.out.line(line)

    async def _send(self, event: str, payload: Any, binary: bool) -> Outcome:
        args = self.args
        if args.rest:
            result = await self.client.rest_send(
                self.channel,
                event,
                payload,
                binary=binary,
                private=args.private,
                batch=args.batch,
            )
            return rest_outcome(result)
        push = await self.client.send(
            self.channel, event, payload, binary=binary, timeout=args.timeout
        )
        return push_outcome(push)

    def summary_dict(self) -> dict[str, Any]:
        data = self.summary.as_dict()
        data.update(lines=self.lines, bad_lines=self.bad, skipped=self.skipped)
        return data

    def exit_code(self) -> int:
        if self.summary.failed:
            self.out.error(f"{self.summary.failed} of {self.summary.sent} sends failed")
            return EXIT_FAILURE
        if self.bad:
            self.out.error(f"{self.bad} bad line{'s' if self.bad != 1 else ''} skipped")
            return EXIT_USAGE
        return EXIT_OK
