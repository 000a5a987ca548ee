"""Fault injection switches for tests and QA: a server that misbehaves on purpose.

Set attributes on ``server.faults`` at any time; they apply to the next frame handled. The
instance methods ``server.inject``, ``server.send_raw`` and ``server.close_all`` complete the
surface (docs/server.md, "Fault injection").
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Faults:
    """What to do wrong."""

    #: do not answer heartbeats (§13 scenario 10: the client times out and reconnects).
    mute_heartbeat_replies: bool = False
    #: do not send broadcast acks even when the join asked for them (§13 scenario 5).
    mute_acks: bool = False
    #: never answer joins (the client's join times out).
    mute_join_replies: bool = False
    #: refuse joins of these channel names with this reason: ``{"room-1": "Unauthorized: …"}``.
    #: Names are shell-style patterns.
    reject_joins: dict[str, str] = field(default_factory=dict)
    #: drop every broadcast instead of fanning it out.
    drop_broadcasts: bool = False

    def reset(self) -> None:
        """Back to a well-behaved server."""
        self.mute_heartbeat_replies = False
        self.mute_acks = False
        self.mute_join_replies = False
        self.reject_joins = {}
        self.drop_broadcasts = False
