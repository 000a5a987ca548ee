"""The authorization matrix tests' fixture data: a rules file that exercises every capability,
the identities it names, and the matrix those rules imply (computed from the server's own
``Rules``, so the tests compare a measurement with the rules, never with a hand-typed copy).

Rules (``RULES_TOML``), by channel (all private; ``open-room`` is public):

- ``team-news``: authenticated read + write; anon read only (read vs write).
- ``lobby``: authenticated presence (read + write); anon presence read only.
- ``dm-alice``: alice (by e-mail) everything, nobody else (a per-user rule).
- ``inbox``: authenticated write only (REST works, no join).
- ``open-room``: public, so every identity may do everything.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from inspector.protocol.authz_probe import CAPABILITIES, Capability
from inspector.protocol.jwt import sign
from inspector.server import RealtimeServer
from inspector.server.rules import Rules

RULES_TOML = """\
[[allow]]
channels = ["team-*"]
roles = ["authenticated"]
can = ["read", "write"]

[[allow]]
channels = ["team-news"]
roles = ["anon"]
can = ["read"]

[[allow]]
channels = ["lobby"]
roles = ["authenticated"]
can = ["presence"]

[[allow]]
channels = ["lobby"]
roles = ["anon"]
can = ["presence_read"]

[[allow]]
channels = ["dm-alice"]
users = ["alice@example.com"]
can = ["all"]

[[allow]]
channels = ["inbox"]
roles = ["authenticated"]
can = ["write"]
"""

#: (name, private)
CHANNELS: list[tuple[str, bool]] = [
    ("team-news", True),
    ("lobby", True),
    ("dm-alice", True),
    ("inbox", True),
    ("open-room", False),
]

ALICE = {"role": "authenticated", "sub": "alice-id", "email": "alice@example.com"}
BOB = {"role": "authenticated", "sub": "bob-id", "email": "bob@example.com"}


def write_rules(tmp: Path) -> Path:
    path = tmp / "rules.toml"
    path.write_text(RULES_TOML, encoding="utf-8")
    return path


def user_token(server: RealtimeServer, claims: dict[str, Any]) -> str:
    return sign({**claims, "exp": int(time.time()) + 3600}, server.config.jwt_secret)


def identity_keys(server: RealtimeServer) -> dict[str, tuple[str, str | None, dict[str, Any]]]:
    """name -> (api key, access token or None, the claims the server will see)."""
    return {
        "anon": (server.anon_key, None, {"role": "anon"}),
        "alice": (server.anon_key, user_token(server, ALICE), ALICE),
        "bob": (server.anon_key, user_token(server, BOB), BOB),
        "service": (server.service_role_key, None, {"role": "service_role"}),
    }


def implied(rules: Rules, claims: dict[str, Any], channel: str, private: bool) -> dict[str, str]:
    """capability -> "allowed"/"denied" as the rules imply (docs/server.md: a join needs read or
    presence read; without a join nothing goes over the websocket)."""
    if not private:
        return {cap.value: "allowed" for cap in CAPABILITIES}
    p = rules.permissions(str(claims["role"]), channel, claims)
    j = p.can_join
    verdicts = {
        Capability.JOIN: j,
        Capability.RECEIVE: j and p.read,
        Capability.SEND_WS: j and p.write,
        Capability.SEND_REST: p.write,
        Capability.SEND_REST_BATCH: p.write,
        Capability.TRACK: j and p.presence_write,
        Capability.SEE_PRESENCE: j and p.presence_read,
    }
    return {cap.value: "allowed" if ok else "denied" for cap, ok in verdicts.items()}


def implied_matrix(
    rules: Rules, server: RealtimeServer, names: list[str]
) -> dict[tuple[str, str, bool, str], str]:
    """(identity, channel, private, capability) -> verdict, for every cell."""
    keys = identity_keys(server)
    out: dict[tuple[str, str, bool, str], str] = {}
    for name in names:
        for channel, private in CHANNELS:
            for cap, verdict in implied(rules, keys[name][2], channel, private).items():
                out[(name, channel, private, cap)] = verdict
    return out


def as_table(cells: Any) -> dict[tuple[str, str, bool, str], str]:
    """Engine cells (``ProbeCell``) or store cells as the same kind of mapping."""
    return {
        (c.identity, c.channel.name, c.channel.private, c.capability.value): c.verdict.value
        for c in cells
    }
