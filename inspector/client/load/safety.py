"""Safety for a load run against a server that is not on this machine (issue #14 §2).

``realtime-inspector load`` needs ``--yes`` and the window's Load panel asks for confirmation
when :func:`is_local` is false, after showing :func:`safety_lines`: what the run will open, join
and send, and which of hosted Supabase's published Realtime quotas it goes over.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse

from .workloads import Workload

#: Published quotas of hosted Supabase Realtime (docs/realtime-protocol.md §10, from the
#: Supabase docs' limits page): (plan, concurrent connections, messages/s, joins/s, payload KB).
QUOTAS = (("Free", 200, 100, 100, 256), ("Pro", 500, 500, 500, 3000))


def is_local(url: str) -> bool:
    """Whether the server is on this machine (loopback, or one of this host's names)."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower().rstrip(".")
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    except OSError:
        names = set()
    return host in names


def safety_lines(workload: Workload) -> list[str]:
    """What a run of ``workload`` opens, joins and sends, the quotas it goes over, one line
    each (shown before a run against a remote server)."""
    sends = workload.send_rate_total()
    deliveries = workload.delivery_rate_total()
    events = sends + deliveries
    joins = workload.vus * workload.channels_per_vu()
    ramp = workload.ramp_seconds
    join_rate = joins / ramp if ramp > 0 else float(joins)
    payload_kb = max(workload.payload_bytes, 60) / 1000
    lines = [
        f"this run of {workload.name} opens {workload.vus:,} websockets, joins {joins:,} "
        f"channels (about {join_rate:,.0f}/s over {ramp:.0f} s) and for "
        f"{workload.duration_s:g} s sends {_rate(sends)} messages/s that make {_rate(deliveries)} "
        f"deliveries/s: about {events:,.0f} Realtime messages/s (the quota counts both)",
    ]
    for plan, conns, msgs, joins_s, kb in QUOTAS:
        over = []
        if workload.vus > conns:
            over.append(f"{conns} concurrent connections")
        if events > msgs:
            over.append(f"{msgs} messages/s")
        if join_rate > joins_s:
            over.append(f"{joins_s} joins/s")
        if payload_kb > kb:
            over.append(f"{kb} KB payloads")
        if over:
            lines.append(f"on the {plan} plan it goes over: {', '.join(over)}")
    lines.append(
        "quotas: Supabase's published Realtime limits (Free: 200 connections, 100 messages/s, "
        "100 joins/s; Pro: 500, 500, 500; docs/realtime-protocol.md §10); over them the server "
        "refuses connections and joins and closes channels ('Too many messages per second'), "
        "and the project may be billed for the messages"
    )
    return lines


def _rate(value: float) -> str:
    """``400,000`` for large rates, ``2.5`` for small ones (no ``400,000.0``)."""
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
