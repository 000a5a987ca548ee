"""Turn what a user types (project URL, API key, vsn) into the websocket and REST URLs (§1.1, §6).

Accepted forms, as the official clients build them:

- a project URL: ``https://<ref>.supabase.co`` or ``http://127.0.0.1:54321`` (optionally with a
  path prefix); ``/realtime/v1`` is added, the scheme becomes ``ws``/``wss``;
- a Realtime base URL: ``…/realtime/v1`` (what realtime-js takes) or ``…/socket`` (the server
  hit directly, no gateway);
- a full websocket URL ending in ``/websocket``, with or without a query.

The websocket query is ``apikey``, then ``log_level`` when set, then ``vsn`` last, the order
realtime-js writes (§1.1). REST lives under ``<base>/api`` (§6). Invalid input raises
``ValueError`` with a one-line reason, before anything touches the network.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Final

from .redact import redact_url
from .serializer import VSN1, VSN2

_SPACE = re.compile(r"\s")

#: ``log_level`` values the server knows; realtime-js also allows ``warn`` (ignored, §1.2).
LOG_LEVELS: Final = ("info", "warn", "warning", "error")

_SCHEMES: Final = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
_HTTP: Final = {"ws": "http", "wss": "https"}


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where to connect. ``websocket`` carries the API key in its query: never log it as is."""

    #: The full websocket URL, with ``apikey``, ``log_level`` and ``vsn`` (§1.1).
    websocket: str = field(repr=False)
    #: The REST base, e.g. ``https://ref.supabase.co/realtime/v1/api`` (§6).
    rest_base: str
    #: The protocol version in the query.
    vsn: str
    #: The API key (taken from the URL's ``apikey`` when none was given).
    api_key: str = field(repr=False)
    #: The project's Auth base, e.g. ``https://ref.supabase.co/auth/v1`` (sign-in, refresh);
    #: None for a direct ``…/socket`` URL of a Realtime server, which has no Auth beside it.
    auth_base: str | None = None

    @property
    def websocket_redacted(self) -> str:
        """The websocket URL with the key replaced, for logs and the frame tap."""
        return redact_url(self.websocket)


def normalize_vsn(vsn: str) -> str:
    """``1``/``1.0.0`` -> ``1.0.0``, ``2``/``2.0.0`` -> ``2.0.0``; anything else is refused."""
    text = vsn.strip()
    if text in ("1", "1.0", VSN1):
        return VSN1
    if text in ("2", "2.0", VSN2):
        return VSN2
    raise ValueError(f"unsupported protocol version {vsn!r}: use 1.0.0 or 2.0.0")


def endpoints(url: str, api_key: str, vsn: str = VSN2, log_level: str | None = None) -> Endpoints:
    """Build the websocket and REST URLs, or raise ``ValueError`` with a one-line reason."""
    text = url.strip()
    if not text:
        raise ValueError("the URL is empty")
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(
            f"the URL must start with http://, https://, ws:// or wss:// (got {redact_url(text)!r})"
        )
    if not parts.hostname:
        raise ValueError("the URL has no host name")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError("the URL has an invalid port") from None
    query = urllib.parse.parse_qs(parts.query)
    key = api_key.strip() or (query.get("apikey") or [""])[0].strip()
    if not key:
        raise ValueError("the API key is empty")
    if _SPACE.search(key):  # what str.isspace() calls white space, in one C scan
        raise ValueError("the API key contains spaces")
    version = normalize_vsn(vsn)
    if log_level is not None and log_level not in LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}")

    path = parts.path.rstrip("/")
    if path.endswith("/websocket"):
        base = path[: -len("/websocket")]
    elif path.endswith("/realtime/v1") or path.endswith("/socket"):
        base = path
    else:
        base = path + "/realtime/v1"
    ws_scheme = _SCHEMES[scheme]
    params = [("apikey", key)]
    if log_level is not None:
        params.append(("log_level", log_level))
    params.append(("vsn", version))
    ws = urllib.parse.urlunsplit(
        (ws_scheme, parts.netloc, base + "/websocket", urllib.parse.urlencode(params), "")
    )
    # The gateway maps /realtime/v1/api to the server's /api; a direct /socket URL talks to
    # the server itself, whose REST lives at /api (§1.1, §6).
    rest_path = base[: -len("/socket")] + "/api" if base.endswith("/socket") else base + "/api"
    rest = urllib.parse.urlunsplit((_HTTP[ws_scheme], parts.netloc, rest_path, "", ""))
    auth = None
    if base.endswith("/realtime/v1"):
        root = base[: -len("/realtime/v1")]
        auth = urllib.parse.urlunsplit((_HTTP[ws_scheme], parts.netloc, root + "/auth/v1", "", ""))
    return Endpoints(ws, rest, version, key, auth)
