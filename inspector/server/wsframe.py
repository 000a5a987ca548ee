"""Server-to-client websocket frames (RFC 6455 §5.2: unmasked, FIN set, no extensions).

The fan-out path writes ready-made frames straight to the transport so that one message to a
hundred subscribers is framed once, and writes stay synchronous and in order. aiohttp's own
writer does the same for uncompressed frames (compression is never negotiated here).
"""

from __future__ import annotations

import struct

_TEXT = 0x81
_BINARY = 0x82
_LEN2 = struct.Struct("!BBH").pack
_LEN8 = struct.Struct("!BBQ").pack


def ws_frame(data: str | bytes) -> bytes:
    """A complete frame: text for ``str``, binary for ``bytes``."""
    if isinstance(data, str):
        payload = data.encode()
        first = _TEXT
    else:
        payload = bytes(data)
        first = _BINARY
    n = len(payload)
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65536:
        return _LEN2(first, 126, n) + payload
    return _LEN8(first, 127, n) + payload
