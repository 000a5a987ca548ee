"""The frame tap: every websocket frame in and out, for the GUI's raw-frames view, redacted.

A :class:`FrameRecord` is made only when somebody listens (the client checks for ``None`` and
does nothing else per frame otherwise). Secrets are redacted by default: the ``apikey`` in the
URL, ``access_token`` values in joins and refreshes, ``Authorization`` headers and anything
shaped like a JWT (docs/contributing.md). The decoded frame is built on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from inspector.protocol.frames import Decoded
from inspector.protocol.redact import redact_bytes, redact_text
from inspector.protocol.serializer import Role, decode


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One websocket message as it crossed the wire."""

    #: 'in' (from the server) or 'out' (to the server); 'open'/'close' mark the connection.
    direction: str
    #: ``loop.time()`` when seen (monotonic).
    monotonic: float
    #: ``time.time()`` when seen (wall clock, for display).
    wall: float
    #: 'text', 'binary', 'open' (the URL) or 'close' (code and reason).
    opcode: str
    #: Size in bytes on the wire (UTF-8 for text).
    size: int
    #: The data, redacted unless the client was asked to reveal secrets (never in ``repr``).
    data: str | bytes = field(repr=False)
    #: The protocol version of the connection (decides how :meth:`decoded` reads ``data``).
    vsn: str
    #: True when ``data`` has been redacted.
    redacted: bool

    def decoded(self) -> Decoded | None:
        """The frame decoded as the receiving side reads it; None for open/close records."""
        if self.opcode not in ("text", "binary"):
            return None
        role = Role.CLIENT if self.direction == "in" else Role.SERVER
        return decode(self.data, self.vsn, role, binary=self.opcode == "binary")


def make_record(
    direction: str, data: str | bytes, monotonic: float, wall: float, vsn: str, redact: bool
) -> FrameRecord:
    """A record for one frame, redacted when ``redact``."""
    if isinstance(data, str):
        size = len(data.encode())
        shown: str | bytes = redact_text(data) if redact else data
        opcode = "text"
    else:
        size = len(data)
        shown = redact_bytes(data) if redact else data
        opcode = "binary"
    return FrameRecord(direction, monotonic, wall, opcode, size, shown, vsn, redact)
