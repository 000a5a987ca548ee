"""Raw websocket frames for the Frames view: rows, their lazy summaries, a bounded log, filters.

Every frame of the connection, in and out, becomes a :class:`FrameRow`: wall time, direction,
opcode (``text``, ``binary``, or the connection markers ``open``/``close``), size on the wire and
the data as it crossed the wire. Topic, event, ref and join_ref are read from the data only when
somebody looks (:meth:`FrameRow.summary`, cached), so capturing a frame costs one small object.

Rows keep the data unredacted so that the user can reveal secrets on purpose; everything shown
or exported by default passes through :func:`~inspector.protocol.redact.redact_text` /
:func:`~inspector.protocol.redact.redact_bytes` (``apikey``, ``access_token`` values,
``Authorization`` headers, JWT-shaped strings, ``sb_`` keys; docs/client.md "Redaction").

:class:`FrameLog` is the ring buffer of :class:`~inspector.store.messages.log.MessageLog`
(:class:`~inspector.store.ring.RingLog`: same listener protocol, seqs, pause buffer, counts),
sized for frames rather than rows of a tab.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from inspector.protocol.frames import (
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
from inspector.protocol.redact import redact_bytes, redact_text
from inspector.protocol.serializer import Role, decode
from inspector.store.messages.log import LogListener
from inspector.store.ring import ByteBudget, RingLog

#: Default number of frames kept (the Frames view is for recent traffic, not an archive).
DEFAULT_FRAME_CAPACITY: Final = 10_000
#: Bytes of frame data the Frames view keeps in total (its own budget, beside the tabs').
DEFAULT_FRAME_BYTES: Final = 32 * 1024 * 1024
#: A frame larger than this keeps only its first bytes (the message itself is in its tab's
#: log); its summary is read from the whole frame when it is captured.
FRAME_KEEP_BYTES: Final = 64 * 1024

IN: Final = "in"
OUT: Final = "out"
TEXT: Final = "text"
BINARY: Final = "binary"
#: Connection markers: the handshake (URL, or the HTTP status) and the close (code, reason).
OPEN: Final = "open"
CLOSE: Final = "close"

#: What the channel filter uses for rows that belong to no channel (handshake, close,
#: heartbeats on ``phoenix``).
CONNECTION: Final = "(connection)"


@dataclass(frozen=True, slots=True)
class FrameSummary:
    """What the table shows of a frame, read from its data once."""

    #: ``realtime:<name>``, ``phoenix``, or None (markers, undecodable frames).
    topic: str | None
    #: the event (the user event for binary kinds 3 and 4; ``phx_reply`` for kind 1).
    event: str | None
    ref: str | None
    join_ref: str | None
    #: one short label: ``v2 array``, ``v1 object``, ``kind 4 user broadcast``, ``handshake``...
    kind: str
    #: the reply status (``ok``/``error``) of a ``phx_reply``, else None.
    status: str | None = None
    #: why the frame could not be decoded, or None.
    problem: str | None = None

    @property
    def channel(self) -> str:
        """The channel name for the channel filter, or :data:`CONNECTION`."""
        if self.topic is None or self.topic == "phoenix":
            return CONNECTION
        return channel_name(self.topic)


_KIND_LABELS: Final = {
    BinaryPush: "kind 0 push",
    BinaryReply: "kind 1 reply",
    BinaryBroadcast: "kind 2 broadcast",
    UserBroadcastPush: "kind 3 user broadcast push",
    UserBroadcast: "kind 4 user broadcast",
}


class FrameRow:
    """One websocket frame or connection marker. ``seq`` is set by the :class:`FrameLog`."""

    __slots__ = ("_summary", "cut", "data", "direction", "opcode", "seq", "size", "time", "vsn")

    def __init__(
        self, time: float, direction: str, opcode: str, size: int, data: str | bytes, vsn: str
    ) -> None:
        #: wall-clock seconds since the epoch (passed in).
        self.time = time
        #: :data:`IN` (from the server) or :data:`OUT` (to the server).
        self.direction = direction
        #: :data:`TEXT`, :data:`BINARY`, :data:`OPEN` or :data:`CLOSE`.
        self.opcode = opcode
        #: bytes on the wire (UTF-8 for text).
        self.size = size
        #: the data as it crossed the wire (unredacted; see the module docstring).
        self.data = data
        #: the connection's protocol version: decides how the data is read.
        self.vsn = vsn
        self.seq = -1
        #: whether only the head of the data was kept (:meth:`keep_head`).
        self.cut = False
        self._summary: FrameSummary | None = None

    @property
    def weight(self) -> int:
        """Bytes of data this row keeps (what the Frames log's byte budget counts)."""
        return len(self.data)

    def keep_head(self, limit: int = FRAME_KEEP_BYTES) -> None:
        """Keep only the first ``limit`` bytes (characters of text) of a larger frame.

        The summary is read from the whole frame first, so topic, event and refs stay right;
        the message itself is kept by its tab. This is what stops a large message from
        costing twice its size (issue #10 item 11)."""
        if self.is_marker or len(self.data) <= limit:
            return
        self.summary()
        self.data = self.data[:limit]
        self.cut = True

    @property
    def is_marker(self) -> bool:
        """Whether this is a handshake or close row rather than a frame."""
        return self.opcode in (OPEN, CLOSE)

    def decoded(self) -> Decoded | None:
        """The frame decoded as the receiving side reads it; None for markers (§2)."""
        if self.is_marker or self.cut:
            return None
        role = Role.CLIENT if self.direction == IN else Role.SERVER
        return decode(self.data, self.vsn, role, binary=self.opcode == BINARY)

    def summary(self) -> FrameSummary:
        """Topic, event, refs and a kind label (decoded once, then cached)."""
        if self._summary is None:
            self._summary = self._summarize()
        return self._summary

    def _summarize(self) -> FrameSummary:
        if self.opcode == OPEN:
            return FrameSummary(None, None, None, None, "handshake")
        if self.opcode == CLOSE:
            return FrameSummary(None, None, None, None, "close")
        frame = self.decoded()
        if isinstance(frame, FrameRejected):
            return FrameSummary(None, None, None, None, "rejected", problem=frame.reason)
        if isinstance(frame, Message):
            status = None
            if frame.event == "phx_reply" and isinstance(frame.payload, dict):
                raw = frame.payload.get("status")
                status = raw if isinstance(raw, str) else None
            kind = "v2 array" if self.vsn.startswith("2") else "v1 object"
            return FrameSummary(frame.topic, frame.event, frame.ref, frame.join_ref, kind, status)
        if isinstance(frame, UserBroadcastPush):
            return FrameSummary(
                frame.topic, frame.user_event, frame.ref, frame.join_ref, _KIND_LABELS[type(frame)]
            )
        if isinstance(frame, UserBroadcast):
            return FrameSummary(
                frame.topic, frame.user_event, None, None, _KIND_LABELS[type(frame)]
            )
        if isinstance(frame, BinaryReply):
            return FrameSummary(
                frame.topic,
                "phx_reply",
                frame.ref,
                frame.join_ref,
                _KIND_LABELS[type(frame)],
                frame.status,
            )
        if isinstance(frame, BinaryPush):
            label = _KIND_LABELS[type(frame)]
            return FrameSummary(frame.topic, frame.event, frame.ref, frame.join_ref, label)
        assert isinstance(frame, BinaryBroadcast)
        return FrameSummary(frame.topic, frame.event, None, None, _KIND_LABELS[type(frame)])

    def shown_text(self, reveal: bool = False, limit: int | None = None) -> str:
        """The data as text for people: redacted unless ``reveal``; binary as hex; cut at
        ``limit`` characters when given."""
        data = self.data
        if isinstance(data, bytes):
            raw = data if reveal else redact_bytes(data)
            head = raw if limit is None else raw[: max(0, limit // 3 + 1)]
            text = head.hex(" ")
        else:
            text = data if limit is None else data[: limit * 2]
            text = text if reveal else redact_text(text)
        if limit is not None and len(text) > limit:
            return text[: limit - 1] + "…"
        if self.cut:
            return f"{text}… (first {len(self.data):,} of {self.size:,} bytes kept)"
        return text

    def __repr__(self) -> str:
        return f"FrameRow(seq={self.seq}, {self.direction} {self.opcode}, size={self.size})"


@dataclass(frozen=True, slots=True)
class FrameFilter:
    """What the Frames view shows: a direction, a channel and a text, all optional."""

    #: :data:`IN`, :data:`OUT` or "" for both.
    direction: str = ""
    #: a channel name, :data:`CONNECTION`, or "" for every row.
    channel: str = ""
    #: lower-cased text searched in the data as shown (redacted unless revealed), topic, event.
    text: str = ""
    #: whether the text is searched in the revealed data.
    reveal: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.direction and not self.channel and not self.text

    def matches(self, row: FrameRow) -> bool:
        if self.direction and row.direction != self.direction:
            return False
        if self.channel and row.summary().channel != self.channel:
            return False
        if self.text:
            summary = row.summary()
            for field in (summary.topic, summary.event):
                if field and self.text in field.lower():
                    return True
            return self.text in row.shown_text(self.reveal).lower()
        return True


class FrameLog(RingLog[FrameRow, LogListener]):
    """A bounded list of :class:`FrameRow` with eviction of the oldest, pause and clear.

    Listeners are :class:`~inspector.store.messages.log.LogListener` objects; ``log_updated`` is never
    called (frames do not change once seen).
    """

    def __init__(
        self, capacity: int = DEFAULT_FRAME_CAPACITY, max_bytes: int | None = DEFAULT_FRAME_BYTES
    ) -> None:
        super().__init__(capacity, ByteBudget(max_bytes))

    def channels(self) -> list[str]:
        """The channels of the retained frames, sorted, :data:`CONNECTION` first when present.

        This decodes every retained frame's summary once (they are cached); call it when the
        user opens the channel list, not per frame.
        """
        names = {row.summary().channel for row in self}
        out = sorted(n for n in names if n != CONNECTION)
        return [CONNECTION, *out] if CONNECTION in names else out
