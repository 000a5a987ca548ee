"""The client's websocket: websockets' Sans-I/O ``ClientProtocol`` driven by our own
``asyncio.Protocol``, every frame of a TCP read handled in one go (issue #14 §5).

The asyncio API of websockets hands messages over one at a time through a queue and a reader
task, which capped ingest at about a bare ``recv()`` loop's rate. Here :class:`WebSocket` is
the transport's protocol itself:

- The opening handshake is ``ClientProtocol``'s: it writes the request and parses the answer,
  so a refused upgrade raises websockets' ``InvalidStatus`` with the status and the body, as
  ``websockets.connect`` did (``errors.translate`` turns it into ``HandshakeRejected``). Only
  the bytes of the response head are fed to it, so whatever follows is framed here.
- After the handshake, a whole unfragmented, unmasked text or binary frame within the size
  limit (nearly every frame Realtime sends) is cut out of the read buffer here and handed to
  ``on_message`` at once, all frames of one read in one loop. Every other frame (ping, pong,
  close, fragments, masked or RSV bits set, too big, text that is not UTF-8) is fed whole to
  the ``ClientProtocol``, which answers pings, runs the closing handshake, assembles nothing
  we could get wrong and fails the connection with the right close code. The protocol is
  only ever fed whole frames, so its parser and ours always agree on where a frame starts.
- Writes go out in batches; when the socket's buffer passes its high-water mark, frames wait
  in order until asyncio says it drained (``pause_writing``/``resume_writing``).
- TLS (``wss://``) uses one default TLS context per process (the system's trust store, as
  ``websockets`` uses); proxies are found and used as websockets 15+ does (HTTP and HTTPS
  ``CONNECT`` proxies through websockets' own helper; SOCKS needs python-socks, as there).
  Redirects (301, 302, 303, 307, 308) are followed as ``websockets.connect`` follows them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import threading
import urllib.parse
from collections import deque
from collections.abc import Callable
from typing import cast

from websockets.asyncio.client import connect_http_proxy, connect_socks_proxy
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidStatus, InvalidURI, ProtocolError
from websockets.frames import Frame, Opcode
from websockets.http11 import USER_AGENT, Response
from websockets.protocol import CLOSED, OPEN
from websockets.proxy import parse_proxy
from websockets.uri import WebSocketURI, parse_uri

from .proxies import proxy_for

log = logging.getLogger(__name__)

MessageCallback = Callable[[str | bytes], None]
#: Takes the messages of one TCP read, in order.
BatchCallback = Callable[[list[str | bytes]], None]

#: Bytes of frames serialised before one write to the socket.
_WRITE_BATCH = 256 * 1024
#: The longest response head we wait for before letting websockets judge it.
_MAX_HEAD = 256 * 1024
_MAX_REDIRECTS = 10

_tls_lock = threading.Lock()
_tls_contexts: dict[tuple[str, str], ssl.SSLContext] = {}


def shared_tls_context() -> ssl.SSLContext:
    """The process's one TLS context for ``wss://``: ``ssl.create_default_context()``, which
    ``websockets`` made for every connection (the system's trust store, or ``$SSL_CERT_FILE``
    / ``$SSL_CERT_DIR``). Made on first use and again only if those variables change; a
    context is safe to share across connections, loops and threads."""
    key = (os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))
    ctx = _tls_contexts.get(key)
    if ctx is None:
        with _tls_lock:
            ctx = _tls_contexts.get(key)
            if ctx is None:
                ctx = _tls_contexts[key] = ssl.create_default_context()
    return ctx


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


class WebSocket(asyncio.Protocol):
    """One client websocket (see the module docstring). Made by :func:`open_websocket`."""

    def __init__(self, uri: WebSocketURI, max_size: int, close_timeout: float) -> None:
        self.protocol = ClientProtocol(uri, max_size=max_size)
        self.max_size = max_size
        self.close_timeout = close_timeout
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self._loop = loop
        #: Resolved once the handshake succeeded; failed with websockets' exception otherwise.
        self.opened: asyncio.Future[None] = loop.create_future()
        self.opened.add_done_callback(_retrieve)  # a failure nobody awaits stays quiet
        self._lost: asyncio.Future[None] = loop.create_future()
        self._buf = b""
        self._handshaking = True
        self._raw = False  # feed everything to the protocol (failed handshake, after close)
        self._fragments: list[bytes] | None = None
        self._fragment_text = False
        self._early: list[str | bytes] = []
        self._on_messages: BatchCallback | None = None
        self._on_lost: Callable[[], None] | None = None
        self._outbox: deque[str | bytes] = deque()
        self._on_sent: MessageCallback | None = None
        self._paused = False
        self._close_timer: asyncio.TimerHandle | None = None
        self._closing = False  # close() was called
        self._attached = False  # frames queued before attach() wait for it
        #: Set when our own message handler failed; the reason reported for the end.
        self.internal_error: str | None = None

    # ------------------------------------------------------------------ state

    @property
    def close_code(self) -> int | None:
        """The peer's close code once the connection is closed (1006 without a close frame)."""
        return self.protocol.close_code

    @property
    def close_reason(self) -> str | None:
        return self.protocol.close_reason

    @property
    def failure(self) -> tuple[int, str] | None:
        """The close code and reason we failed the connection with because of what came in
        (a bad frame, RFC 6455 §7.1.7); None when nothing was wrong."""
        sent = self.protocol.close_sent
        if sent is None or self._closing:
            return None
        return sent.code, sent.reason

    def attach(
        self,
        on_messages: BatchCallback,
        on_lost: Callable[[], None],
        on_sent: MessageCallback | None,
    ) -> None:
        """Start delivering: messages that came since the handshake are handed over now."""
        self._on_messages = on_messages
        self._on_lost = on_lost
        self._on_sent = on_sent
        self._attached = True
        if self._outbox and not self._paused:
            self._write_outbox()  # what was queued as the socket opened, in order
        early, self._early = self._early, []
        if early:
            try:
                on_messages(early)
            except Exception as exc:
                self._internal_error(exc)
        if self._lost.done():
            on_lost()

    def set_on_sent(self, on_sent: MessageCallback | None) -> None:
        self._on_sent = on_sent

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        request = self.protocol.connect()
        request.headers.setdefault("User-Agent", USER_AGENT)
        self.protocol.send_request(request)
        self._flush_protocol()

    def data_received(self, data: bytes) -> None:
        if self._handshaking:
            self._handshake_data(data)
        elif self._raw:
            self._feed_protocol(data)
        else:
            self._frames(data)

    def eof_received(self) -> bool | None:
        self._give_head()
        self.protocol.receive_eof()
        if self._handshaking:
            self._handshake_progress()
        self._flush_protocol()
        return None  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self._give_head()
        self.protocol.receive_eof()  # idempotent; the state becomes CLOSED
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self._handshaking:
            self._handshaking = False
            if not self.opened.done():
                self.opened.set_exception(
                    self.protocol.handshake_exc
                    or exc
                    or ConnectionError("the connection closed during the handshake")
                )
        self._outbox.clear()
        if not self._lost.done():
            self._lost.set_result(None)
        on_lost = self._on_lost
        if on_lost is not None:
            self._on_lost = None
            on_lost()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._outbox and self._attached:
            self._write_outbox()

    # ------------------------------------------------------------------ handshake

    def _give_head(self) -> None:
        """At the end of the stream, a partial response head goes to websockets to judge."""
        if self._handshaking and self._buf:
            head, self._buf = self._buf, b""
            self._raw = True
            self.protocol.receive_data(head)

    def _handshake_data(self, data: bytes) -> None:
        if self._raw:  # a refused upgrade: websockets reads its body
            self.protocol.receive_data(data)
            self._handshake_progress()
            return
        buf = self._buf + data
        end = buf.find(b"\r\n\r\n")
        if end < 0 and len(buf) <= _MAX_HEAD:
            self._buf = buf
            return
        head, rest = (buf[: end + 4], buf[end + 4 :]) if end >= 0 else (buf, b"")
        self._buf = b""
        self.protocol.receive_data(head)
        if self.protocol.state is OPEN:
            self._handshake_progress()
            if rest and not self._handshaking:
                self.data_received(rest)
            return
        # not a 101 (a body may follow) or an invalid head: websockets takes everything
        self._raw = True
        if rest:
            self.protocol.receive_data(rest)
        self._handshake_progress()

    def _handshake_progress(self) -> None:
        protocol = self.protocol
        protocol.events_received()  # the Response, also kept in handshake_exc when refused
        self._flush_protocol()
        if protocol.handshake_exc is not None:
            self._handshaking = False
            if not self.opened.done():
                self.opened.set_exception(protocol.handshake_exc)
            self.abort()
        elif protocol.state is OPEN:
            self._handshaking = False
            self._raw = False
            if not self.opened.done():
                self.opened.set_result(None)

    # ------------------------------------------------------------------ frames in

    def _frames(self, data: bytes) -> None:
        """Deliver every whole frame of the buffer; hand the unusual ones to the protocol."""
        if self._buf:
            data = self._buf + data
            self._buf = b""
        size = len(data)
        pos = 0
        max_size = self.max_size
        batch: list[str | bytes] = []
        add = batch.append
        try:
            while size - pos >= 2:
                first = data[pos]
                second = data[pos + 1]
                length = second & 0x7F
                start = pos + 2
                if length == 126:
                    if size - pos < 4:
                        break
                    length = int.from_bytes(data[start : start + 2], "big")
                    start += 2
                elif length == 127:
                    if size - pos < 10:
                        break
                    length = int.from_bytes(data[start : start + 8], "big")
                    start += 8
                if second & 0x80:
                    start += 4  # masked: a protocol error from a server, judged below
                if length > max_size:
                    # websockets refuses it from the header (1009); never buffer it
                    self._deliver(batch)
                    self._raw = True
                    self._feed_protocol(data[pos:])
                    return
                end = start + length
                if end > size:
                    break
                if second < 0x80 and self._fragments is None:
                    if first == 0x82:
                        add(data[start:end])
                        pos = end
                        continue
                    if first == 0x81:
                        try:
                            add(data[start:end].decode())
                        except UnicodeDecodeError as exc:
                            self._deliver(batch)
                            self._fail(1007, f"{exc.reason} at position {exc.start}")
                            return
                        pos = end
                        continue
                if batch:  # in order: what came before this frame goes first
                    self._deliver(batch)
                    batch = []
                    add = batch.append
                self._feed_protocol(data[pos:end])
                pos = end
                if self.protocol.state is not OPEN:
                    self._raw = True
                    if pos < size:
                        self._feed_protocol(data[pos:])
                    return
            if batch:
                self._deliver(batch)
        except Exception as exc:
            self._internal_error(exc)
            return
        if pos < size:
            self._buf = data[pos:]

    def _feed_protocol(self, data: bytes) -> None:
        protocol = self.protocol
        protocol.receive_data(data)
        events = protocol.events_received()
        self._flush_protocol()
        for event in events:
            if isinstance(event, Frame):
                self._frame_event(event)

    def _frame_event(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                data = bytes(frame.data)
                if opcode is Opcode.TEXT:
                    try:
                        text = data.decode()
                    except UnicodeDecodeError as exc:
                        self._fail(1007, f"{exc.reason} at position {exc.start}")
                        return
                    self._deliver([text])
                else:
                    self._deliver([data])
                return
            self._fragments = [bytes(frame.data)]
            self._fragment_text = opcode is Opcode.TEXT
        elif opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                whole = b"".join(self._fragments)
                self._fragments = None
                if self._fragment_text:
                    try:
                        text = whole.decode()
                    except UnicodeDecodeError as exc:
                        self._fail(1007, f"{exc.reason} at position {exc.start}")
                        return
                    self._deliver([text])
                else:
                    self._deliver([whole])
        # ping, pong and close: the protocol answered (pong, close reply) already

    def _deliver(self, batch: list[str | bytes]) -> None:
        if not batch:
            return
        on_messages = self._on_messages
        if on_messages is None:
            self._early.extend(batch)
        else:
            on_messages(batch)

    def _internal_error(self, exc: Exception) -> None:
        # a bug of ours in on_message must not pass silently
        log.exception("error while handling a websocket message")
        self.internal_error = f"internal error: {exc}"
        self._fail(1011, "internal error")

    def _fail(self, code: int, reason: str) -> None:
        """Close the connection because of what came in (RFC 6455 §7.1.7)."""
        self._raw = True
        self._buf = b""
        try:
            self.protocol.fail(code, reason)
        except ProtocolError:
            pass
        self._flush_protocol()

    # ------------------------------------------------------------------ frames out

    @property
    def backlog(self) -> int:
        """Frames queued and not yet handed to the socket (it is full, or not attached yet)."""
        return len(self._outbox)

    def send_many(self, frames: list[str | bytes]) -> None:
        """Queue frames in order; they are written at once unless the socket is full (or
        :meth:`attach` has not been called yet: the client reports the socket open first)."""
        if self.protocol.state is not OPEN or self._lost.done():
            return
        self._outbox.extend(frames)
        if self._attached and not self._paused:
            self._write_outbox()

    def _write_outbox(self) -> None:
        outbox = self._outbox
        protocol = self.protocol
        transport = self.transport
        if transport is None or protocol.state is not OPEN:
            outbox.clear()
            return
        while outbox and not self._paused:
            batch = 0
            while outbox and batch < _WRITE_BATCH:
                data = outbox.popleft()
                on_sent = self._on_sent
                if on_sent is not None:
                    on_sent(data)
                if isinstance(data, str):
                    encoded = data.encode()
                    protocol.send_text(encoded)
                else:
                    encoded = data
                    protocol.send_binary(data)
                batch += len(encoded) + 14
            transport.writelines(protocol.data_to_send())

    def _flush_protocol(self) -> None:
        """Write what the protocol produced (pongs, close frames, the end of the stream)."""
        transport = self.transport
        protocol = self.protocol
        if transport is None:
            return
        for data in protocol.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                try:
                    transport.write_eof()
                except (OSError, RuntimeError):
                    transport.abort()
            else:
                transport.close()
        if protocol.close_expected() and self._close_timer is None and not self._lost.done():
            self._close_timer = self._loop.call_later(self.close_timeout, self.abort)

    # ------------------------------------------------------------------ closing

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Send what is queued, then the closing handshake; return once the socket is closed
        (the peer's close reply, or ``close_timeout`` later at the latest)."""
        self._closing = True
        if not self._lost.done() and self.transport is not None:
            if self._outbox:
                self._paused = False  # what was queued goes into the transport's buffer
                self._write_outbox()
            if self.protocol.state is OPEN:
                self.protocol.send_close(code, reason)
                self._flush_protocol()
            elif self.protocol.state is not CLOSED:
                self._flush_protocol()
            if self._close_timer is None:
                self._close_timer = self._loop.call_later(self.close_timeout, self.abort)
        await self.wait_closed()

    async def wait_closed(self) -> None:
        await asyncio.shield(self._lost)


def _redirect(url: str, exc: InvalidStatus) -> str | None:
    """Where a 3xx answer sends us, as ``websockets.connect`` decides; None: not followed."""
    response: Response = exc.response
    if response.status_code not in (301, 302, 303, 307, 308):
        return None
    location = response.headers.get("Location")
    if not location:
        return None
    old = parse_uri(url)
    new_url = urllib.parse.urljoin(url, location)
    parts = urllib.parse.urlsplit(new_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    new_url = urllib.parse.urlunsplit((scheme, *parts[1:]))
    try:
        new = parse_uri(new_url)
    except InvalidURI:
        return None
    if old.secure and not new.secure:  # never from wss:// down to ws://
        return None
    return new_url


async def open_websocket(
    url: str, *, open_timeout: float, max_size: int, close_timeout: float
) -> WebSocket:
    """Open a client websocket (TCP or through a proxy, TLS, handshake, redirects) within
    ``open_timeout`` seconds; raises what ``websockets.connect`` raises."""
    async with asyncio.timeout(open_timeout):
        for _ in range(_MAX_REDIRECTS):
            try:
                return await _open_once(url, max_size, close_timeout)
            except InvalidStatus as exc:
                target = _redirect(url, exc)
                if target is None:
                    raise
                url = target
        return await _open_once(url, max_size, close_timeout)


async def _open_once(url: str, max_size: int, close_timeout: float) -> WebSocket:
    loop = asyncio.get_running_loop()
    uri = parse_uri(url)
    ws = WebSocket(uri, max_size, close_timeout)
    tls = shared_tls_context() if uri.secure else None
    hostname = uri.host if tls is not None else None
    try:
        proxy = proxy_for(url)
        if proxy is None:
            await loop.create_connection(
                lambda: ws, uri.host, uri.port, ssl=tls, server_hostname=hostname
            )
        else:
            parsed = parse_proxy(proxy)
            if parsed.scheme.startswith("socks"):
                sock = await connect_socks_proxy(parsed, uri)
                await loop.create_connection(
                    lambda: ws, sock=sock, ssl=tls, server_hostname=hostname
                )
            else:
                proxy_tls = shared_tls_context() if parsed.scheme == "https" else None
                kwargs = {"ssl": proxy_tls} if proxy_tls is not None else {}
                transport = await connect_http_proxy(
                    parsed, uri, user_agent_header=USER_AGENT, **kwargs
                )
                transport.set_protocol(ws)
                if tls is not None:
                    upgraded = await loop.start_tls(transport, ws, tls, server_hostname=hostname)
                    assert upgraded is not None
                    transport = upgraded
                ws.connection_made(transport)
        await ws.opened
    except BaseException:
        ws.abort()
        raise
    return ws
