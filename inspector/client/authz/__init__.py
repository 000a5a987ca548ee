"""The authorization matrix engine (issue #13 §4): real probes per identity, channel and
capability; see :mod:`.engine`."""

from .engine import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT,
    AuthzEngine,
    ClientObserver,
    Observer,
    ProbeCell,
    ProbeChannel,
    ProbeIdentity,
    SeenCallback,
    identities_from,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT",
    "AuthzEngine",
    "ClientObserver",
    "Observer",
    "ProbeCell",
    "ProbeChannel",
    "ProbeIdentity",
    "SeenCallback",
    "identities_from",
]
