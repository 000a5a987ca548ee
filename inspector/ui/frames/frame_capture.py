"""FrameCapture: the client's frame tap turned into :class:`~inspector.store.frames.frames.FrameRow`s.

The controller sets an instance as ``client.on_frame``. It receives the client's frame records
(duck-typed, so this module does not import the client: direction, wall, opcode, size, data,
vsn) and appends rows to the session's :class:`~inspector.store.frames.frames.FrameLog`. The client is
asked for unredacted data so that the Frames view can reveal secrets on purpose; the view and
every export redact by default. The handshake request row gets the real URL for the same
reason (the client's own marker is already redacted), and :meth:`opened` adds the response row
(``HTTP 101``) once the socket is open; a refused handshake arrives as the client's ``close``
marker, with the HTTP status and the server's words (docs/realtime-protocol.md §1.4).
"""

from __future__ import annotations

from typing import Any

from inspector.store.frames.frames import (
    CLOSE,
    FRAME_KEEP_BYTES,
    IN,
    OPEN,
    OUT,
    FrameLog,
    FrameRow,
)


class FrameCapture:
    """Callable frame tap for one client; cheap per frame (one object, one append)."""

    __slots__ = ("_log", "_url", "_vsn")

    def __init__(self, log: FrameLog, url: str, vsn: str) -> None:
        self._log = log
        self._url = url
        self._vsn = vsn

    def __call__(self, record: Any) -> None:
        opcode = record.opcode
        data = record.data
        if opcode == OPEN:
            data = f"GET {self._url}"
        row = FrameRow(record.wall, record.direction, opcode, record.size, data, record.vsn)
        if len(data) > FRAME_KEEP_BYTES:
            row.keep_head()  # the message is kept by its tab; do not keep it twice
        self._log.append(row)

    def opened(self, wall: float) -> None:
        """The handshake succeeded: the response row."""
        self._log.append(
            FrameRow(
                wall, IN, OPEN, 0, f"HTTP 101 Switching Protocols (vsn {self._vsn})", self._vsn
            )
        )

    def closed_by_us(self, wall: float, code: int = 1000, reason: str = "client closed") -> None:
        """We closed the socket on purpose (the client does not report its own closes)."""
        self._log.append(FrameRow(wall, OUT, CLOSE, 0, f"{code} ({reason})", self._vsn))
