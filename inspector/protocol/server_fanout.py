"""Fan-out encodings: one message for many receivers, each in its own format (§2.5).

A :class:`Fanout` is built once per published message and asked, per receiver, for the data to
send given the receiver's vsn and the topic it joined. Results are cached per ``(vsn, topic)``,
so a message to a thousand subscribers is encoded once per distinct format. An optional
``wrap`` function (the asyncio server passes its websocket framer) is applied before caching.

The matrix of §2.5:

- JSON origin (a client's text ``broadcast`` push, REST batch, ``presence_diff``, ...):
  v2 gets ``[null,null,topic,event,payload]``; v1 gets ``{"topic","event","payload","ref":null}``.
- user broadcast origin (kind 3 pushes, REST single, database messages): v2 gets binary kind 4
  with the same encoding, the payload bytes as they came (the real server does not look at
  them, §2.3); v1 gets the JSON converted to ``{"event","payload","type"}`` (plus ``meta`` when
  there is metadata) with the payload text spliced in verbatim, as the real server's
  ``Jason.Fragment`` does, but only when that text is JSON Jason accepts
  (``supabase/realtime:lib/realtime_web/socket/user_broadcast.ex`` ``convert_to_json_broadcast``;
  :mod:`inspector.protocol.server_json`); otherwise, and for raw binary payloads, v1 gets
  **nothing**.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .frames import BROADCAST, ENCODING_JSON, JSON, UserBroadcast
from .serializer import VSN1, EncodeError, dumps, encode_binary
from .server_json import JsonRejected, plain_string
from .server_json import loads as strict_loads

T = TypeVar("T")

_MISSING = object()
#: strings this long that JSON writes unchanged are copied into an encoding, not escaped ...
_SPLICE_MIN = 64 * 1024
#: ... in payloads of at most this many nodes (a walk in Python costs more than it saves).
_SPLICE_NODES = 256


class _TooMany(Exception):
    pass


def spliced_dumps(value: JSON) -> str:
    """``dumps(value)``, with its long plain strings copied in instead of escaped character by
    character (a 3 MB presence meta: about 2 ms instead of 9)."""
    holes: list[str] = []
    token = secrets.token_hex(8)
    nodes = 0

    def hollow(item: Any) -> Any:
        nonlocal nodes
        nodes += 1
        if nodes > _SPLICE_NODES:
            raise _TooMany
        kind = type(item)
        if kind is str and len(item) >= _SPLICE_MIN and plain_string(item):
            holes.append(item)
            return f"{token}{len(holes) - 1}"
        if kind is dict:
            return {k: hollow(v) for k, v in item.items()}
        if kind is list:
            return [hollow(v) for v in item]
        return item

    try:
        skeleton = hollow(value)
    except _TooMany:
        return dumps(value)
    if not holes:
        return dumps(value)
    text = dumps(skeleton)
    parts: list[str] = []
    for n, hole in enumerate(holes):
        before, mark, text = text.partition(f'"{token}{n}"')
        if not mark or token in before:  # the token also occurs elsewhere: never in practice
            return dumps(value)
        parts += (before, '"', hole, '"')
    if token in text:
        return dumps(value)
    parts.append(text)
    return "".join(parts)


def _identity(data: str | bytes) -> Any:
    return data


class Fanout(Generic[T]):
    """One server-to-many message; ask :meth:`for_receiver` for each receiver's data."""

    __slots__ = (
        "_cache",
        "_data",
        "_encoding",
        "_json_text",
        "_metadata",
        "_payload",
        "_user",
        "_wrap",
        "event",
        "user_event",
    )

    def __init__(
        self,
        event: str,
        payload: JSON = None,
        *,
        user_event: str | None = None,
        data: bytes | None = None,
        encoding: int = ENCODING_JSON,
        metadata: bytes = b"",
        wrap: Callable[[str | bytes], T] | None = None,
    ) -> None:
        #: the envelope event (``broadcast``, ``presence_diff``, ...).
        self.event = event
        #: for user broadcasts, the user event; otherwise None.
        self.user_event = user_event
        self._payload = payload
        self._user = data is not None
        self._data = data if data is not None else b""
        self._encoding = encoding
        self._metadata = metadata
        self._wrap: Callable[[str | bytes], Any] = wrap or _identity
        self._cache: dict[tuple[str, str], Any] = {}
        self._json_text: object = _MISSING

    @classmethod
    def text(
        cls, event: str, payload: JSON, wrap: Callable[[str | bytes], T] | None = None
    ) -> Fanout[T]:
        """A JSON-origin fan-out message (client text broadcast, REST batch, presence_diff)."""
        return cls(event, payload, wrap=wrap)

    @classmethod
    def user_broadcast(
        cls,
        user_event: str,
        data: bytes,
        encoding: int,
        metadata: bytes = b"",
        wrap: Callable[[str | bytes], T] | None = None,
    ) -> Fanout[T]:
        """A user broadcast (kind 3 push, REST single, database message): kind 4 for v2."""
        return cls(
            BROADCAST,
            user_event=user_event,
            data=data,
            encoding=encoding,
            metadata=metadata,
            wrap=wrap,
        )

    @property
    def binary_only(self) -> bool:
        """True when v1 receivers get nothing (a raw binary user broadcast, §2.5)."""
        return self._user and self._encoding != ENCODING_JSON

    def json_payload(self) -> JSON:
        """The payload a JSON receiver sees; raises ``ValueError`` for raw binary or bad JSON."""
        if not self._user:
            return self._payload
        text = self._user_json_text()
        if text is None:
            raise ValueError("the payload has no JSON form a JSON receiver could get")
        return json.loads(text)

    def _user_json_text(self) -> str | None:
        """A user broadcast's JSON form as text, its payload verbatim; None when it has none.

        The payload must be JSON the real server accepts (``convert_to_json_broadcast``
        decodes it first); checked once per message.
        """
        cached = self._json_text
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        text: str | None = None
        if self._encoding == ENCODING_JSON:
            try:
                strict_loads(self._data)
            except JsonRejected:
                pass
            else:
                meta = ""
                if self._metadata:
                    meta = ',"meta":' + dumps(json.loads(self._metadata))
                text = (
                    '{"event":'
                    + dumps(self.user_event)
                    + meta
                    + ',"payload":'
                    + self._data.decode()
                    + ',"type":"broadcast"}'
                )
        self._json_text = text
        return text

    def encoded(self, vsn: str, topic: str) -> str | bytes | None:
        """The unwrapped, uncached data for one receiver, or None when it gets nothing."""
        if not self._user:
            if vsn == VSN1:
                obj = {"topic": topic, "event": self.event, "payload": self._payload, "ref": None}
                return spliced_dumps(obj)
            return spliced_dumps([None, None, topic, self.event, self._payload])
        if vsn != VSN1:
            try:
                return encode_binary(
                    UserBroadcast(
                        topic, self.user_event or "", self._metadata, self._encoding, self._data
                    )
                )
            except EncodeError:
                pass  # a topic or event over 255 bytes: fall back to text below
        text = self._user_json_text()
        if text is None:
            return None
        if vsn == VSN1:
            head = '{"topic":' + dumps(topic) + ',"event":' + dumps(self.event) + ',"payload":'
            return head + text + ',"ref":null}'
        return "[null,null," + dumps(topic) + "," + dumps(self.event) + "," + text + "]"

    def for_receiver(self, vsn: str, topic: str) -> T | None:
        """The (wrapped) data for a receiver with this vsn that joined ``topic``, cached."""
        key = (vsn, topic)
        hit = self._cache.get(key, _MISSING)
        if hit is not _MISSING:
            return hit  # type: ignore[no-any-return]
        raw = self.encoded(vsn, topic)
        value = None if raw is None else self._wrap(raw)
        self._cache[key] = value
        return value
