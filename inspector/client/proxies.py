"""Which proxy a websocket connection goes through, as websockets 15+ decides, without its cost.

``websockets`` asks :func:`urllib.request.getproxies` on every connection, which walks and
decodes the whole environment twice: about 0.2 ms per connection, a fifth of the time to open
1,000 clients (issue #14 §3, cProfile). The answer only depends on a handful of variables, so
it is remembered per (those variables' values, host, port, scheme) and asked again whenever
one of them changes.
"""

from __future__ import annotations

import os
import sys

from websockets.proxy import get_proxy
from websockets.uri import parse_uri

#: The variables urllib reads for a websocket's proxy and its bypass list (both cases), and
#: REQUEST_METHOD (CGI: HTTP_PROXY is then ignored).
_NAMES = (
    *(
        name
        for base in ("ws", "wss", "socks", "https", "http", "no")
        for name in (f"{base}_proxy", f"{base.upper()}_PROXY")
    ),
    "REQUEST_METHOD",
)

_cache: dict[tuple[object, ...], str | None] = {}


def proxy_for(url: str) -> str | None:
    """The proxy URL for a ``ws://``/``wss://`` URL, or None: what ``websockets.connect``
    with its default ``proxy=True`` would use (environment variables; on macOS and Windows
    the system settings too, which are not cached there)."""
    if sys.platform in ("darwin", "win32"):
        return get_proxy(parse_uri(url))
    environ = os.environ
    uri = parse_uri(url)
    key = (uri.host, uri.port, uri.secure, *(environ.get(name) for name in _NAMES))
    try:
        return _cache[key]
    except KeyError:
        pass
    if len(_cache) > 256:
        _cache.clear()
    proxy = _cache[key] = get_proxy(uri)
    return proxy
