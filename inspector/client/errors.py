"""Every failure a user can cause or meet, as one typed tree with messages in plain words.

::

    InspectorError                      .message: one line for people
    ├── InvalidSettings                 URL, key, vsn refused before connecting
    ├── InvalidPayload                  a payload that cannot be sent (not JSON, binary in v1)
    ├── ConnectError                    the websocket could not be opened
    │   ├── HostUnreachable             DNS, refused, timed out, network down
    │   ├── TlsError                    certificate or TLS handshake failure
    │   └── HandshakeRejected           HTTP status at the upgrade (.status, .body, .server_message)
    │       ├── AuthRejected            401 / 403 (bad, expired or missing key)
    │       ├── EndpointNotFound        404 (wrong URL or unknown project)
    │       └── RateLimited             429 (too many users or joins)
    ├── ConnectionLost                  the server went away (.code, .reason)
    ├── ChannelError                    .topic
    │   ├── JoinRefused                 the server's join error reason (.reason)
    │   ├── JoinTimedOut                no join reply in time
    │   └── ChannelClosed               closed by the server: system error (token expired,
    │                                   rate limit) or phx_close (.reason)
    └── ClientStateError                a local call the client's state does not allow
                                        (not connected, closed, unknown channel)

Third-party exceptions (websockets, httpx, ssl, OSError) are translated in exactly one place,
:func:`translate`, and chained ``from`` the original (docs/architecture.md habit 5).

A ``message`` is one line that is safe on a terminal and in a log: text a peer chose (an error
body, a close or refusal reason) is put in with
:func:`~inspector.protocol.invisible.printable`, so escape sequences, line breaks, bidi and
zero-width characters show as ``\\uXXXX`` and a long text is cut (issue #10 items 1 and 9). The
attributes that keep the peer's data (``.reason``, ``.body``) keep it as it came.
"""

from __future__ import annotations

import json
import socket
import ssl

import httpx
import websockets.exceptions as wsx

from inspector.protocol.invisible import printable, reveal
from inspector.protocol.redact import redact_text

#: How much of a peer's text (an error body, a reason) one message keeps.
PEER_TEXT_LIMIT = 300


class InspectorError(Exception):
    """Base of every error the client reports. ``message`` is one line in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidSettings(InspectorError, ValueError):
    """The connection settings were refused before connecting."""


class InvalidPayload(InspectorError, ValueError):
    """A payload that cannot be sent: not JSON-serialisable, binary on vsn 1.0.0, too long."""


class ConnectError(InspectorError):
    """The websocket could not be opened."""


class HostUnreachable(ConnectError):
    """The host could not be reached (name lookup, refused, timed out)."""


class TlsError(ConnectError):
    """The TLS handshake failed (certificate, protocol)."""


class HandshakeRejected(ConnectError):
    """The server answered the websocket upgrade with an HTTP error (§1.4)."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body
        #: ``error``/``message`` of a JSON body, else the body text (may be empty).
        self.server_message = server_text(body)
        detail = f": {self.server_message}" if self.server_message else ""
        super().__init__(f"the server refused the connection with HTTP {status}{detail}")


class AuthRejected(HandshakeRejected):
    """HTTP 401/403 at the handshake: the key or token is missing, invalid or expired."""


class EndpointNotFound(HandshakeRejected):
    """HTTP 404 at the handshake: wrong URL or unknown project."""


class RateLimited(HandshakeRejected):
    """HTTP 429 at the handshake: too many connected users or joins (§10)."""


class ConnectionLost(InspectorError):
    """The server closed the websocket or the network dropped it."""

    def __init__(self, message: str, code: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class ChannelError(InspectorError):
    """Something happened to one channel."""

    def __init__(self, topic: str, message: str) -> None:
        super().__init__(message)
        self.topic = topic


class JoinRefused(ChannelError):
    """The server answered the join with an error; ``reason`` is its exact text (§4.4)."""

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(topic, f"joining {topic} was refused: {_peer(reason)}")
        self.reason = reason


class JoinTimedOut(ChannelError):
    """No join reply arrived in time (§7.2)."""


class ChannelClosed(ChannelError):
    """The server closed the channel (system error then phx_close, §4.6)."""

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(topic, f"{topic} was closed by the server: {_peer(reason)}")
        self.reason = reason


class ClientStateError(InspectorError):
    """A local call that the client's current state does not allow."""


_HANDSHAKE_CLASSES: dict[int, type[HandshakeRejected]] = {
    401: AuthRejected,
    403: AuthRejected,
    404: EndpointNotFound,
    429: RateLimited,
}


def _peer(text: str) -> str:
    """A peer's text made safe for one line of a message (see the module docstring)."""
    return printable(text, PEER_TEXT_LIMIT)


def server_text(body: bytes) -> str:
    """The server's message in an error body: JSON ``error``/``message``, else the text; one
    line, redacted, with hidden and control characters escaped."""
    text = body.decode("utf-8", "replace").strip()
    try:
        obj = json.loads(text)
    except ValueError:
        return _peer(redact_text(text[: PEER_TEXT_LIMIT * 2]))
    if isinstance(obj, dict):
        for key in ("error", "message", "msg"):
            if isinstance(obj.get(key), str):
                return _peer(redact_text(str(obj[key])))
    return _peer(redact_text(text[: PEER_TEXT_LIMIT * 2]))


def close_text(code: int | None, reason: str) -> str:
    """``socket closed: 1006`` / ``socket closed: 1000 (bye)``, like realtime-js (§13 #14)."""
    if code is None:
        return "socket closed"
    return f"socket closed: {code} ({_peer(reason)})" if reason else f"socket closed: {code}"


def translate(exc: BaseException, *, what: str = "the server") -> InspectorError:
    """The typed error for a third-party exception; the only place that knows them.

    Messages are redacted: nothing shaped like a key or token survives into them, and hidden
    or control characters are escaped (a third-party text may quote the peer). The typed
    error is chained to ``exc`` as ``raise err from exc`` would (``__cause__`` set, the
    implicit context suppressed), so a traceback shows both.
    """
    if isinstance(exc, InspectorError):
        return exc
    err = _translate(exc, what)
    # exception texts may quote a peer (a header, a status line): one line, nothing hidden
    err.message = reveal(redact_text(err.message), multiline=False)
    err.args = (err.message,)
    err.__cause__ = exc
    err.__suppress_context__ = True
    return err


def _translate(exc: BaseException, what: str) -> InspectorError:
    if isinstance(exc, wsx.InvalidStatus):
        response = exc.response
        cls = _HANDSHAKE_CLASSES.get(response.status_code, HandshakeRejected)
        return cls(response.status_code, bytes(response.body or b""))
    if isinstance(exc, wsx.InvalidURI):
        return InvalidSettings(f"the websocket URL is invalid: {exc.msg}")
    if isinstance(exc, wsx.ConnectionClosed):
        frame = exc.rcvd or exc.sent
        code = frame.code if frame is not None else None
        reason = frame.reason if frame is not None else ""
        return ConnectionLost(close_text(code if code is not None else 1006, reason), code, reason)
    if isinstance(exc, wsx.InvalidHandshake | wsx.InvalidMessage):
        return ConnectError(f"{what} did not complete the websocket handshake: {exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TlsError(f"the TLS certificate of {what} was not accepted: {exc.verify_message}")
    if isinstance(exc, ssl.SSLError):
        return TlsError(
            f"the TLS handshake with {what} failed: {getattr(exc, 'reason', None) or exc}"
        )
    if isinstance(exc, httpx.ConnectError) and "SSL" in str(exc):
        return TlsError(f"the TLS handshake with {what} failed: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        return HostUnreachable(f"{what} did not answer in time")
    if isinstance(exc, httpx.ConnectError | httpx.NetworkError):
        return HostUnreachable(f"cannot reach {what}: {exc}")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return InvalidSettings(f"the URL is invalid: {exc}")
    if isinstance(exc, socket.gaierror):
        return HostUnreachable(f"cannot find {what} (name lookup failed: {exc.strerror or exc})")
    if isinstance(exc, ConnectionRefusedError):
        return HostUnreachable(f"{what} refused the connection (nothing listens on that port?)")
    if isinstance(exc, TimeoutError):
        return HostUnreachable(f"{what} did not answer in time")
    if isinstance(exc, OSError):
        return HostUnreachable(f"cannot reach {what}: {exc.strerror or exc}")
    if isinstance(exc, httpx.HTTPError):
        return ConnectError(f"HTTP request to {what} failed: {exc}")
    return InspectorError(f"unexpected error talking to {what}: {type(exc).__name__}: {exc}")
