"""Who may reach the local server: the bind decision, the ``Host`` check and the Origin policy.

The local server's keys are signed with a public secret by default (the Supabase CLI's, §9.2),
so whoever can reach its port can mint a ``service_role`` token and read or write every channel,
private ones included. Three guards keep that to the developer's own machine (issue #10 items 2
and 3; docs/server.md, "Who can connect"):

- **Bind** (:func:`exposure_problem`): a non-loopback address with the default secret is refused
  unless ``allow_remote`` is set; every non-loopback bind gets a warning.
- **Host** (:func:`host_allowed`): a request is served only when its ``Host`` names a loopback
  name or address or the address the server is bound to. A web page that rebinds its own DNS
  name to 127.0.0.1 (DNS rebinding) still sends its own name, so it is refused. An IP literal
  cannot be rebound, so on a wildcard bind (``0.0.0.0``, ``::``) every IP literal is allowed.
- **Origin** (:func:`origin_allowed`): browsers send ``Origin`` on websocket upgrades and
  cross-origin REST calls. The real server accepts any (``check_origin: false``; CORS ``*``),
  because every hosted project is public anyway; here any web page a developer visits could
  otherwise use the public demo keys against the local server. So a browser request is served
  when its Origin is on a loopback name (``http://localhost:3000``, ``http://127.0.0.1:5173``,
  ``http://[::1]:8080``, ``http://app.localhost``) or on a host allowed as ``Host``, and any
  listed in ``allowed_origins`` (``*`` allows every origin, as the real server). Clients that
  send no Origin (Node, Python, curl, this inspector) are not browsers and are served.

Pure functions of strings; the aiohttp middleware is in realtime_server.py.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from typing import Final

from inspector.protocol.jwt import CLI_DEV_SECRET

#: Where to read about it, in every refusal.
SEE: Final = "see docs/server.md, 'Who can connect'"


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def is_loopback(address: str) -> bool:
    """Whether a bound address or host name is this machine only (127/8, ::1, localhost).

    The wildcard addresses (``0.0.0.0``, ``::``, ``""``) are every interface: not loopback.
    """
    name = address.strip().lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    ip = _ip(name)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def is_wildcard(address: str) -> bool:
    """Whether a bound address is every interface (``0.0.0.0``, ``::``)."""
    ip = _ip(address)
    return address == "" or (ip is not None and ip.is_unspecified)


def display(address: str, port: int) -> str:
    """``host:port`` as a URL writes it (IPv6 in brackets)."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def exposure_problem(bound: str, port: int, jwt_secret: str, allow_remote: bool) -> str | None:
    """Why the server must not serve on ``bound`` (None: it may). Only a non-loopback address
    with the public default secret and without ``allow_remote`` is refused."""
    if is_loopback(bound) or jwt_secret != CLI_DEV_SECRET or allow_remote:
        return None
    return (
        f"refusing to listen on {display(bound, port)}: it is not a loopback address, and the "
        "JWT secret is the default one, which is public (the Supabase CLI's), so anyone on the "
        "network could sign a service_role token and read or write every channel, private ones "
        "included. Set your own secret (--jwt-secret-file FILE or REALTIME_INSPECTOR_JWT_SECRET), "
        "or pass --allow-remote if that is really what you want"
    )


def exposure_warning(bound: str, port: int, jwt_secret: str) -> str | None:
    """The warning for a non-loopback bind (None for loopback)."""
    if is_loopback(bound):
        return None
    where = display(bound, port) + (" (every network interface)" if is_wildcard(bound) else "")
    if jwt_secret == CLI_DEV_SECRET:
        return (
            f"listening on {where} with the default JWT secret, which is public: ANYONE ON THE "
            "NETWORK CAN MINT service_role TOKENS and read or write every channel, private ones "
            "included. Use your own secret (--jwt-secret-file) unless this network is yours alone"
        )
    return (
        f"listening on {where}: reachable from the network; anyone with the keys printed "
        "below (or the secret) can connect"
    )


def _split_host(header: str) -> str:
    """The host part of a ``Host`` header value (no port, no brackets), lower case."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def host_allowed(header: str | None, bound: str) -> bool:
    """Whether a request whose ``Host`` is ``header`` may be served by a server bound to
    ``bound`` (DNS-rebinding defence). No Host at all (HTTP/1.0) is not a browser: allowed."""
    if header is None:
        return True
    host = _split_host(header)
    if is_loopback(host):
        return True
    ip = _ip(host)
    if ip is not None:
        if is_wildcard(bound):  # an IP literal cannot be rebound
            return True
        bound_ip = _ip(bound)
        return bound_ip is not None and ip == bound_ip
    return host == bound.strip().lower().rstrip(".")


def _normal_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def origin_allowed(origin: str | None, bound: str, allowed: tuple[str, ...] = ()) -> bool:
    """Whether a request with this ``Origin`` header may be served (see the module docstring)."""
    if origin is None:
        return True
    if "*" in allowed:
        return True
    normal = _normal_origin(origin)
    if normal in {_normal_origin(a) for a in allowed}:
        return True
    parts = urllib.parse.urlsplit(normal)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (sandboxed frames, file: pages), extensions: only when listed
    return host_allowed(parts.netloc.rsplit("@", 1)[-1], bound)


class RequestGuard:
    """The Host and Origin checks of one server bound to ``bound`` (the address bound and the
    name it was given, e.g. ``("127.0.0.1", "localhost")``)."""

    def __init__(self, bound: tuple[str, ...], allowed_origins: tuple[str, ...] = ()) -> None:
        self.bound = bound
        self.allowed_origins = allowed_origins

    def refusal(self, host: str | None, origin: str | None) -> str | None:
        """Why a request with these headers is refused (None: serve it). Peer text is not
        in the message (the caller escapes it for the log)."""
        if not any(host_allowed(host, b) for b in self.bound):
            return (
                "Host not allowed: this local server answers only requests addressed to "
                "localhost, 127.0.0.1, [::1] or the address it listens on (DNS-rebinding "
                f"protection; {SEE})"
            )
        if not any(origin_allowed(origin, b, self.allowed_origins) for b in self.bound):
            return (
                "Origin not allowed: web pages may connect only from localhost, 127.0.0.1, "
                f"[::1] or the address the server listens on; start it with --allow-origin "
                f"ORIGIN to allow another ({SEE})"
            )
        return None


class ExposureRefused(Exception):
    """The server would listen where the default public secret must not be reachable."""
