"""HAR import: the Realtime websocket traffic a browser saved, decoded by the protocol core.

Browsers keep websocket frames in a HAR file as an extension of each websocket entry
(docs/client.md "HAR import" has the sources)::

    {"log": {"creator": {"name": "WebInspector"}, "entries": [
      {"_resourceType": "websocket",
       "request": {"method": "GET", "url": "wss://ref.supabase.co/realtime/v1/websocket?apikey=…&vsn=2.0.0"},
       "response": {"status": 101},
       "_webSocketMessages": [
         {"type": "send", "time": 1767225600.125, "opcode": 1, "data": "[\\"1\\",\\"1\\",…]"},
         {"type": "receive", "time": 1767225600.2, "opcode": 2, "data": "BA9jaGF0…"}]}]}}

- ``type``: ``send`` (client to server), ``receive``, or ``error`` (Chrome: a frame error,
  ``data`` its text, ``opcode`` -1).
- ``time``: wall-clock seconds since the epoch, a float (Chrome's ``pseudoWallTime``). A value
  above 10^11 is read as milliseconds (tolerance, not seen from a browser).
- ``opcode``: 1 text (``data`` the text), 2 binary (``data`` base64), 8 close, 9/10 ping/pong.

:func:`parse_har` finds the entries whose URL path ends in ``/realtime/v1/websocket`` or
``/socket/websocket`` (the scheme may be ``ws``/``wss`` or, as some exporters write it,
``http``/``https``), reads the protocol version from the URL's ``vsn`` (``1.0.0`` when absent,
as Phoenix assumes), decodes every frame with :func:`inspector.protocol.serializer.decode`
(v1 objects, v2 arrays, binary kinds 0-4) in the role of its receiver, and returns:

- :attr:`HarResult.events`: one :class:`HarEvent` per Realtime event (broadcasts in both
  directions, presence, system messages, join results, closes), the lines ``har`` prints;
- :attr:`HarResult.records`: the same as table rows per channel (read-only tabs);
- :attr:`HarResult.frames`: every frame for the Frames view, with a handshake row per socket.

Secrets are redacted while reading (:mod:`inspector.protocol.redact`): the URL's ``apikey`` and
token parameters, ``access_token`` in join payloads and token pushes, JWT-shaped strings and
``sb_`` keys in every text frame, and the same shapes masked in place in binary frames. So
nothing read from a HAR can show a secret, not even with "Reveal secrets".

A HAR is peer input: :func:`parse_har` never raises. A file that is not JSON, is cut short, is
not a HAR, or holds no Realtime websocket gets :attr:`HarResult.error` in words; a bad message
is skipped and counted with its reason; limits (:data:`MAX_HAR_BYTES`, the import's channel and
row limits) are reported like the NDJSON import's.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import urllib.parse
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from inspector.protocol.frames import (
    ENCODING_JSON,
    PHOENIX_TOPIC,
    BinaryBroadcast,
    BinaryPush,
    BinaryReply,
    Decoded,
    FrameRejected,
    Message,
    UserBroadcast,
    UserBroadcastPush,
    channel_name,
)
from inspector.protocol.redact import redact_bytes, redact_text, redact_url
from inspector.protocol.serializer import VSN1, VSN2, Role, decode
from inspector.store.frames.frames import BINARY, CLOSE, IN, OPEN, OUT, TEXT, FrameRow
from inspector.store.messages.records import (
    Direction,
    MessageRecord,
    PayloadFormat,
    json_bytes,
    system_record,
)
from inspector.store.timefmt import MAX_EPOCH, utc_iso

from .export import MAX_ERRORS_KEPT, MAX_IMPORT_CHANNELS, MAX_IMPORT_ROWS

#: The largest HAR file read (a HAR is one JSON document: it is parsed whole).
MAX_HAR_BYTES: Final = 256 * 1024 * 1024
#: URL paths of Realtime websockets (hosted, self-hosted, and the local server's Phoenix path).
REALTIME_PATHS: Final = ("/realtime/v1/websocket", "/socket/websocket")
#: Messages decoded between two progress reports (the window's slices).
STEP_MESSAGES: Final = 200
#: Text of a binary frame that is not base64 is kept as this many characters of the problem.
_PROBLEM_CHARS: Final = 200

BROADCAST: Final = "broadcast"
PRESENCE: Final = "presence"
SYSTEM: Final = "system"
JOIN: Final = "join"
ERROR: Final = "error"


@dataclass(slots=True)
class HarEvent:
    """One Realtime event read from a capture (the fields of a ``listen`` line)."""

    #: wall-clock seconds since the epoch, from the capture.
    time: float
    channel: str
    #: ``broadcast``, ``presence``, ``system``, ``join`` or ``error`` (as ``listen`` prints).
    kind: str
    event: str
    #: the JSON value, or the bytes of a binary payload (``binary`` is then True).
    payload: Any
    #: broadcast metadata (``{"id": …}``, ``{"replayed": true, "id": …}``) or None.
    meta: Any = None
    #: ``in`` (the browser received it) or ``out`` (the browser sent it).
    direction: str = IN
    binary: bool = False

    def line(self) -> dict[str, Any]:
        """The ``listen`` line of this event (binary payloads as ``{"$binary": <base64>}``)."""
        payload = self.payload
        if self.binary and isinstance(payload, bytes):
            payload = {"$binary": base64.b64encode(payload).decode("ascii")}
        out: dict[str, Any] = {
            "time": utc_iso(self.time),
            "channel": self.channel,
            "event": self.event,
            "payload": payload,
            "meta": self.meta,
            "kind": self.kind,
            "direction": self.direction,
        }
        if self.binary:
            out["binary"] = True
        return out

    def record(self) -> MessageRecord:
        """The table row of this event."""
        if self.kind in (BROADCAST, PRESENCE):
            binary = self.binary and isinstance(self.payload, bytes)
            return MessageRecord(
                time=self.time,
                direction=Direction.OUT if self.direction == OUT else Direction.IN,
                event=self.event,
                payload=self.payload if binary else json_bytes(self.payload),
                format=PayloadFormat.BINARY if binary else PayloadFormat.JSON,
                meta=json_bytes(self.meta) if self.meta is not None else None,
            )
        details = self.payload if isinstance(self.payload, dict) else {"payload": self.payload}
        return system_record(self.time, self.event, details)


@dataclass(slots=True)
class HarSocket:
    """One Realtime websocket of the capture."""

    #: the URL with secret query values redacted.
    url: str
    vsn: str
    #: messages read (frames of any opcode).
    messages: int = 0


@dataclass(slots=True)
class HarResult:
    """What a HAR file held for the inspector."""

    events: list[HarEvent] = field(default_factory=list)
    #: ``(channel, record)`` in capture order (the rows of :attr:`events`).
    records: list[tuple[str, MessageRecord]] = field(default_factory=list)
    frames: list[FrameRow] = field(default_factory=list)
    sockets: list[HarSocket] = field(default_factory=list)
    #: redacted URLs of websocket entries that are not Realtime.
    other_websockets: list[str] = field(default_factory=list)
    #: entries of the HAR (all kinds).
    entries: int = 0
    #: the HAR's creator (``WebInspector`` for Chrome, ``Firefox``), or "".
    creator: str = ""
    #: why nothing could be read (not JSON, cut short, not a HAR, too large), else None.
    error: str | None = None
    #: ``(where, reason)`` of skipped messages (the first :data:`MAX_ERRORS_KEPT`).
    problems: list[tuple[str, str]] = field(default_factory=list)
    problem_count: int = 0
    #: channel -> events not kept (the import already had its channels).
    dropped_channels: dict[str, int] = field(default_factory=dict)
    #: messages not read: the import already had its rows.
    unread: int = 0

    def channels(self) -> list[str]:
        return list(dict.fromkeys(channel for channel, _ in self.records))

    def summary(self) -> str:
        """One line for the status bar and stderr."""
        if self.error is not None:
            return self.error
        n = len(self.sockets)
        parts = [
            f"{len(self.events):,} events in {len(self.channels())} channel(s) and "
            f"{len(self.frames):,} frames from {n} Realtime websocket{'' if n == 1 else 's'}"
        ]
        if self.other_websockets:
            m = len(self.other_websockets)
            parts.append(f"{m} other websocket{'' if m == 1 else 's'} left out")
        if self.problem_count:
            where, why = self.problems[0]
            parts.append(f"{self.problem_count:,} message(s) skipped ({where}: {why})")
        if self.dropped_channels:
            k, rows = len(self.dropped_channels), sum(self.dropped_channels.values())
            parts.append(
                f"{k} more channel(s) ({rows:,} events) not opened: one import opens at most "
                f"{MAX_IMPORT_CHANNELS} tabs"
            )
        if self.unread:
            parts.append(f"{self.unread:,} messages after the first {MAX_IMPORT_ROWS:,} not read")
        return " · ".join(parts)


def is_realtime_url(url: str) -> bool:
    """Whether a websocket URL is a Realtime endpoint (by its path)."""
    try:
        path = urllib.parse.urlsplit(url).path.rstrip("/")
    except ValueError:
        return False
    return path.endswith(REALTIME_PATHS)


def url_vsn(url: str) -> str | None:
    """The ``vsn`` query parameter of a URL, or None."""
    try:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    except ValueError:
        return None
    values = query.get("vsn")
    return values[-1] if values else None


def message_time(value: Any) -> float | None:
    """A ``_webSocketMessages`` time as epoch seconds, or None when it is no time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    if number > 1e11:  # milliseconds (not written by browsers; tolerated)
        number /= 1000
    return number if 0 <= number <= MAX_EPOCH else None


def read_har(
    path: Path,
    *,
    channel: str | None = None,
    max_bytes: int = MAX_HAR_BYTES,
    max_channels: int = MAX_IMPORT_CHANNELS,
    max_rows: int = MAX_IMPORT_ROWS,
) -> HarResult:
    """Read and parse a HAR file; problems (missing, not a file, too large) become
    :attr:`HarResult.error`, never an exception."""
    return _drain(
        read_har_steps(
            path,
            channel=channel,
            max_bytes=max_bytes,
            max_channels=max_channels,
            max_rows=max_rows,
        )
    )


def read_har_steps(
    path: Path,
    *,
    channel: str | None = None,
    max_bytes: int = MAX_HAR_BYTES,
    max_channels: int = MAX_IMPORT_CHANNELS,
    max_rows: int = MAX_IMPORT_ROWS,
) -> Generator[float, None, HarResult]:
    """:func:`read_har` a piece at a time: yields the fraction done (every
    :data:`STEP_MESSAGES` messages), returns the result; the window runs it in slices."""
    try:
        if not path.is_file():
            return HarResult(error=f"{path.name} is not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            return HarResult(
                error=f"{path.name} is {size / 1024 / 1024:,.0f} MiB: HAR files over "
                f"{max_bytes / 1024 / 1024:,.0f} MiB are not read"
            )
        data = path.read_bytes()
    except OSError as exc:
        return HarResult(error=f"{path.name} cannot be read: {exc.strerror or exc}")
    yield 0.05
    return (
        yield from parse_har_steps(
            data, channel=channel, max_channels=max_channels, max_rows=max_rows
        )
    )


def _drain(steps: Generator[float, None, HarResult]) -> HarResult:
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            result: HarResult = stop.value
            return result


def parse_har(
    data: bytes | str,
    *,
    channel: str | None = None,
    max_channels: int = MAX_IMPORT_CHANNELS,
    max_rows: int = MAX_IMPORT_ROWS,
) -> HarResult:
    """Decode the Realtime websockets of a HAR document (``channel``: only that channel's
    events; frames are all kept). Never raises on the document's content."""
    return _drain(
        parse_har_steps(data, channel=channel, max_channels=max_channels, max_rows=max_rows)
    )


def parse_har_steps(
    data: bytes | str,
    *,
    channel: str | None = None,
    max_channels: int = MAX_IMPORT_CHANNELS,
    max_rows: int = MAX_IMPORT_ROWS,
) -> Generator[float, None, HarResult]:
    """:func:`parse_har` a piece at a time (yields the fraction of messages decoded)."""
    result = HarResult()
    try:
        doc = json.loads(data)
    except RecursionError:
        result.error = "not a HAR file: the JSON is nested too deeply"
        return result
    except (ValueError, UnicodeDecodeError) as exc:
        result.error = _json_problem(exc, data)
        return result
    if not isinstance(doc, dict) or not isinstance(doc.get("log"), dict):
        result.error = 'not a HAR file: no "log" object'
        return result
    entries = doc["log"].get("entries")
    if not isinstance(entries, list):
        result.error = 'not a HAR file: "log" has no "entries" list'
        return result
    creator = doc["log"].get("creator")
    if isinstance(creator, dict) and isinstance(creator.get("name"), str):
        result.creator = creator["name"][:100]
    result.entries = len(entries)
    total = sum(
        len(e["_webSocketMessages"])
        for e in entries
        if isinstance(e, dict) and isinstance(e.get("_webSocketMessages"), list)
    )
    reader = _Reader(result, channel, max_channels, max_rows)
    yield 0.1
    for number, entry in enumerate(entries, 1):
        if isinstance(entry, dict):
            for done in reader.entry(number, entry):
                yield 0.1 + 0.9 * min(1.0, done / max(1, total))
    # Several sockets (reconnects, tabs) interleave: rows and frames in capture time order.
    result.events.sort(key=lambda e: e.time)
    result.records.sort(key=lambda item: item[1].time)
    result.frames.sort(key=lambda row: row.time)
    if not result.sockets:
        found = len(result.other_websockets)
        result.error = (
            f"no Realtime websocket in this HAR ({result.entries:,} entries, {found} other "
            "websocket(s)); record it with the page open before the channel is joined and "
            'export with "Save all as HAR with content"'
        )
    return result


def _json_problem(exc: Exception, data: bytes | str) -> str:
    if isinstance(exc, json.JSONDecodeError):
        doc = exc.doc.strip()
        if not doc:
            return "not a HAR file: the file is empty"
        at_end = exc.pos >= len(exc.doc.rstrip()) - 1 or exc.msg.startswith("Unterminated")
        if doc.startswith("{") and at_end:
            return (
                f"the HAR file is cut short (JSON ends at line {exc.lineno}, column "
                f"{exc.colno}): save it again"
            )
        return f"not a HAR file: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        # json names the encoding it guessed ("'utf-16-be' codec can't decode byte 0x65"):
        # say what the file is instead.
        return "not a HAR file: not text (a HAR is JSON in UTF-8; this looks like binary data)"
    return f"not a HAR file: {exc}"


class _Reader:
    """Walks the entries, one Realtime websocket at a time."""

    def __init__(
        self, result: HarResult, only: str | None, max_channels: int, max_rows: int
    ) -> None:
        self.result = result
        self.only = only
        self.max_channels = max_channels
        self.max_rows = max_rows
        self.kept: set[str] = set()
        #: messages read in all entries.
        self.read = 0

    # ---------------------------------------------------------------------- entries

    def entry(self, number: int, entry: dict[str, Any]) -> Iterator[int]:
        """Read one entry; yields the count of messages read so far, every
        :data:`STEP_MESSAGES`."""
        messages = entry.get("_webSocketMessages")
        request = entry.get("request")
        url = request.get("url") if isinstance(request, dict) else None
        if not isinstance(url, str):
            return
        websocket = (
            messages is not None
            or entry.get("_resourceType") == "websocket"
            or url.startswith(("ws:", "wss:"))
        )
        if not websocket:
            return
        shown = redact_url(url)
        if not is_realtime_url(url):
            self.result.other_websockets.append(shown)
            return
        if not isinstance(messages, list):
            self._problem(f"entry {number}", "a Realtime websocket without _webSocketMessages")
            messages = []
        vsn = url_vsn(url) or VSN1
        if vsn not in (VSN1, VSN2):
            self._problem(f"entry {number}", f"vsn {vsn[:20]!r} is not 1.0.0 or 2.0.0")
            vsn = VSN1
        socket = HarSocket(shown, vsn)
        self.result.sockets.append(socket)
        first = _first_time(messages)
        if first is not None:
            status = (
                entry.get("response", {}).get("status")
                if isinstance(entry.get("response"), dict)
                else None
            )
            self.result.frames.append(FrameRow(first, OUT, OPEN, 0, f"GET {shown}", vsn))
            if isinstance(status, int) and not isinstance(status, bool):
                text = f"HTTP {status} (vsn {vsn})"
                self.result.frames.append(FrameRow(first, IN, OPEN, 0, text, vsn))
        joins: dict[tuple[str, str], str] = {}
        for index, message in enumerate(messages):
            if len(self.result.frames) >= self.max_rows:
                self.result.unread += len(messages) - index
                return
            self.read += 1
            if self.read % STEP_MESSAGES == 0:
                yield self.read
            where = f"entry {number} message {index + 1}"
            if not isinstance(message, dict):
                self._problem(where, "not an object")
                continue
            socket.messages += 1
            self.message(where, message, vsn, joins)

    def message(
        self, where: str, message: dict[str, Any], vsn: str, joins: dict[tuple[str, str], str]
    ) -> None:
        kind = message.get("type")
        when = message_time(message.get("time"))
        if when is None:
            self._problem(where, "time is not a number of seconds since 1970")
            return
        raw = message.get("data")
        if not isinstance(raw, str):
            raw = ""
        if kind == "error":
            self.result.frames.append(FrameRow(when, IN, CLOSE, 0, redact_text(raw), vsn))
            return
        if kind not in ("send", "receive"):
            self._problem(where, f"type {str(kind)[:20]!r} is not send or receive")
            return
        direction = OUT if kind == "send" else IN
        opcode = message.get("opcode")
        data: str | bytes
        if opcode == 1:
            data = redact_text(raw)
            size = len(raw.encode("utf-8", "surrogatepass"))
            row = FrameRow(when, direction, TEXT, size, data, vsn)
        elif opcode == 2:
            try:
                decoded = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                self._problem(where, "a binary message whose data is not base64")
                return
            data = redact_bytes(decoded)
            row = FrameRow(when, direction, BINARY, len(decoded), data, vsn)
        elif opcode == 8:
            self.result.frames.append(FrameRow(when, direction, CLOSE, 0, redact_text(raw), vsn))
            return
        else:
            return  # ping, pong, continuation: nothing Realtime reads
        self.result.frames.append(row)
        role = Role.CLIENT if direction == IN else Role.SERVER
        frame = decode(data, vsn, role, binary=opcode == 2)
        self._frame(where, when, direction, frame, joins)

    # ---------------------------------------------------------------------- frames

    def _frame(
        self,
        where: str,
        when: float,
        direction: str,
        frame: Decoded,
        joins: dict[tuple[str, str], str],
    ) -> None:
        if isinstance(frame, FrameRejected):
            self._problem(where, frame.reason[:_PROBLEM_CHARS])
            return
        topic = frame.topic
        if topic == PHOENIX_TOPIC:
            return  # heartbeats
        name = channel_name(topic)
        if isinstance(frame, UserBroadcast | UserBroadcastPush):
            payload: Any
            if frame.encoding == ENCODING_JSON:
                try:
                    payload = json.loads(frame.payload)
                except (ValueError, RecursionError):
                    self._problem(where, "a JSON broadcast whose payload is not JSON")
                    return
                binary = False
            else:
                payload, binary = frame.payload, True
            meta = _meta(frame.metadata) if isinstance(frame, UserBroadcast) else None
            self._add(
                HarEvent(when, name, BROADCAST, frame.user_event, payload, meta, direction, binary)
            )
            return
        if isinstance(frame, BinaryPush | BinaryBroadcast | BinaryReply):
            event = frame.status if isinstance(frame, BinaryReply) else frame.event
            self._add(
                HarEvent(when, name, SYSTEM, event, frame.payload, None, direction, binary=True)
            )
            return
        self._message(when, direction, name, frame, joins)

    def _message(
        self,
        when: float,
        direction: str,
        name: str,
        frame: Message,
        joins: dict[tuple[str, str], str],
    ) -> None:
        event, payload = frame.event, frame.payload
        body = payload if isinstance(payload, dict) else {}
        if event == "phx_join" and direction == OUT:
            if frame.ref is not None:
                joins[(frame.topic, frame.ref)] = "join"
            return  # its config shows in the Frames view; the reply is the row
        if event in ("phx_leave", "access_token", "heartbeat") and direction == OUT:
            return
        if event == "phx_reply" and direction == IN:
            kind = joins.pop((frame.topic, frame.ref or ""), None)
            if kind != "join":
                return  # acks of pushes: the Frames view has them
            ok = body.get("status") == "ok"
            response = body.get("response")
            reason = response.get("reason") if isinstance(response, dict) else None
            state = "joined" if ok else "errored"
            details = {
                "state": state,
                "cause": "joined" if ok else "join_error",
                "reason": reason if isinstance(reason, str) else "",
                "retry_in": None,
            }
            self._add(HarEvent(when, name, JOIN, state, details, direction=IN))
            return
        if event in ("phx_close", "phx_error"):
            state = "closed" if event == "phx_close" else "errored"
            cause = "server_close" if event == "phx_close" else "server_error"
            details = {"state": state, "cause": cause, "reason": "", "retry_in": None}
            self._add(HarEvent(when, name, JOIN, state, details, direction=direction))
            return
        if event == BROADCAST:
            inner = body.get("event")
            if isinstance(inner, str):
                self._add(
                    HarEvent(
                        when,
                        name,
                        BROADCAST,
                        inner,
                        body.get("payload"),
                        body.get("meta"),
                        direction,
                    )
                )
                return
        if event in ("presence_state", "presence_diff", "presence"):
            self._add(HarEvent(when, name, PRESENCE, event, payload, direction=direction))
            return
        if event == SYSTEM:
            self._add(HarEvent(when, name, SYSTEM, SYSTEM, payload, direction=direction))
            return
        self._add(HarEvent(when, name, SYSTEM, event, payload, direction=direction))

    # ---------------------------------------------------------------------- results

    def _add(self, event: HarEvent) -> None:
        if self.only is not None and event.channel != self.only:
            return
        result = self.result
        channel = event.channel
        if channel not in self.kept:
            if len(self.kept) >= self.max_channels:
                result.dropped_channels[channel] = result.dropped_channels.get(channel, 0) + 1
                return
            self.kept.add(channel)
        result.events.append(event)
        result.records.append((channel, event.record()))

    def _problem(self, where: str, reason: str) -> None:
        result = self.result
        result.problem_count += 1
        if len(result.problems) < MAX_ERRORS_KEPT:
            result.problems.append((where, reason))


def _first_time(messages: Iterable[Any]) -> float | None:
    for message in messages:
        if isinstance(message, dict):
            when = message_time(message.get("time"))
            if when is not None:
                return when
    return None


def _meta(metadata: bytes) -> Any:
    if not metadata:
        return None
    try:
        return json.loads(metadata)
    except (ValueError, RecursionError):
        return {"raw": metadata.decode("utf-8", "replace")}
