"""The authorization matrix's vocabulary and its probe messages (issue #13 §4); pure.

A probe is a real broadcast (event :data:`PROBE_EVENT`) or a presence meta carrying a unique
marker, so any observer (this engine, realtime-js, a log reader) can tell which probe arrived.
Payload of a broadcast probe and meta of a presence probe::

    {"inspector_authz_probe": "<marker>", "identity": "<who sent it>", "via": "<capability>"}

The client engine (``inspector.client.authz``) sends and observes them, the store
(``inspector.store.authz``) keeps the matrix; both use the names here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

#: The event name of every broadcast probe: easy to filter in logs and tables.
PROBE_EVENT = "inspector.authz.probe"
#: The payload (or presence meta) key that holds a probe's marker.
MARKER_KEY = "inspector_authz_probe"


class Capability(StrEnum):
    """One column of the matrix: something an identity may or may not do on a channel."""

    JOIN = "join"
    RECEIVE = "receive"
    SEND_WS = "send_ws"
    SEND_REST = "send_rest"
    SEND_REST_BATCH = "send_rest_batch"
    TRACK = "track"
    SEE_PRESENCE = "see_presence"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Capability.JOIN: "join",
    Capability.RECEIVE: "receive broadcast",
    Capability.SEND_WS: "send (websocket)",
    Capability.SEND_REST: "send (REST single)",
    Capability.SEND_REST_BATCH: "send (REST batch)",
    Capability.TRACK: "track presence",
    Capability.SEE_PRESENCE: "see presence",
}

#: Every capability, in the matrix's column order.
CAPABILITIES: tuple[Capability, ...] = tuple(Capability)


class Verdict(StrEnum):
    """What a cell measured."""

    ALLOWED = "allowed"
    DENIED = "denied"
    #: Nothing could tell (no observer could see the channel, a time-out, an error).
    UNKNOWN = "unknown"


def parse_capability(text: str) -> Capability:
    """A capability by its name (``send_ws``) or label; ValueError naming the choices."""
    word = text.strip().lower()
    for cap in CAPABILITIES:
        if word in (cap.value, cap.label, cap.value.replace("_", "-")):
            return cap
    choices = ", ".join(c.value for c in CAPABILITIES)
    raise ValueError(f"unknown capability {text!r} (one of {choices})")


def probe_payload(marker: str, identity: str, via: Capability | str) -> dict[str, str]:
    """The payload of a broadcast probe, or the meta of a presence probe."""
    return {MARKER_KEY: marker, "identity": identity, "via": str(getattr(via, "value", via))}


def probe_marker(value: Any) -> str | None:
    """The marker of a received payload or presence meta, None when it is not a probe.

    Peer input: never raises, whatever ``value`` is.
    """
    if isinstance(value, Mapping):
        marker = value.get(MARKER_KEY)
        if isinstance(marker, str) and marker:
            return marker
        inner = value.get("payload")  # realtime-js hands {type, event, payload}
        if isinstance(inner, Mapping):
            marker = inner.get(MARKER_KEY)
            if isinstance(marker, str) and marker:
                return marker
    return None
