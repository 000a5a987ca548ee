"""Private-channel rules: which roles may read, write and use presence where (§9.3, no Postgres).

The real server asks Postgres RLS policies on ``realtime.messages``; the local server reads a
small file instead. TOML (or the same structure as JSON)::

    [[allow]]
    channels = ["room-*", "lobby"]      # channel names (no "realtime:"), shell-style patterns
    roles = ["authenticated"]           # JWT role claims; "*" matches any role
    users = ["alice@example.com"]       # optional: only these users (e-mail or sub claim)
    can = ["read", "write", "presence"] # also "presence_read", "presence_write", "all"

An entry needs ``roles``, ``users`` or both; with ``users`` it matches only tokens whose
``email`` (case-insensitive) or ``sub`` claim is listed (as an RLS policy on ``auth.uid()`` or
``auth.email()`` would), with ``roles`` too only those roles.

Grants add up across entries; nothing is allowed unless granted; ``service_role`` may
everything (§9.3). ``read`` is broadcast read, ``write`` broadcast write, ``presence`` both
presence read and presence write. A join needs broadcast read or presence read (§9.3).
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .auth import SERVICE_ROLE

_GRANTS = {
    "read": ("read",),
    "write": ("write",),
    "presence": ("presence_read", "presence_write"),
    "presence_read": ("presence_read",),
    "presence_write": ("presence_write",),
    "all": ("read", "write", "presence_read", "presence_write"),
}


class RulesError(ValueError):
    """The rules file cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Permissions:
    """What one role may do on one private channel."""

    read: bool = False
    write: bool = False
    presence_read: bool = False
    presence_write: bool = False

    @property
    def can_join(self) -> bool:
        """A join needs broadcast read or presence read (§9.3)."""
        return self.read or self.presence_read


ALL = Permissions(True, True, True, True)
NONE = Permissions()


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``[[allow]]`` entry."""

    channels: tuple[str, ...]
    roles: tuple[str, ...]
    grants: frozenset[str]
    #: e-mail addresses (lower case) or sub claims; empty: any user.
    users: tuple[str, ...] = ()

    def matches(self, role: str, name: str, claims: Mapping[str, Any] | None = None) -> bool:
        role_ok = not self.roles or "*" in self.roles or role in self.roles
        return (
            role_ok
            and self._user_ok(claims)
            and any(fnmatch.fnmatchcase(name, pat) for pat in self.channels)
        )

    def _user_ok(self, claims: Mapping[str, Any] | None) -> bool:
        if not self.users:
            return True
        if not claims:
            return False
        sub, email = claims.get("sub"), claims.get("email")
        return (isinstance(sub, str) and sub in self.users) or (
            isinstance(email, str) and email.lower() in self.users
        )


def _strings(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where}: '{key}' must be a non-empty list of strings")
    return tuple(value)


class Rules:
    """A set of grants; ask :meth:`permissions` for a role and channel name."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)

    def __repr__(self) -> str:
        return f"Rules({len(self.rules)} entries)"

    @classmethod
    def from_data(cls, data: Mapping[str, Any], source: str = "rules") -> Rules:
        """Build from the parsed file: ``{"allow": [{channels, roles, can}, ...]}``."""
        if not isinstance(data, Mapping):
            raise RulesError(f"{source}: the top level must be a table/object")
        unknown = set(data) - {"allow"}
        if unknown:
            raise RulesError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
        entries = data.get("allow", [])
        if not isinstance(entries, Sequence) or isinstance(entries, str):
            raise RulesError(f"{source}: 'allow' must be a list of entries")
        out: list[Rule] = []
        for i, entry in enumerate(entries, 1):
            where = f"{source}: allow entry {i}"
            if not isinstance(entry, Mapping):
                raise RulesError(f"{where} must be a table/object")
            extra = set(entry) - {"channels", "roles", "users", "can"}
            if extra:
                raise RulesError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
            if "roles" not in entry and "users" not in entry:
                raise RulesError(f"{where}: give 'roles', 'users' or both")
            roles = _strings(entry, "roles", where) if "roles" in entry else ()
            users = _strings(entry, "users", where) if "users" in entry else ()
            grants: set[str] = set()
            for word in _strings(entry, "can", where):
                if word not in _GRANTS:
                    raise RulesError(
                        f"{where}: unknown permission {word!r} (use {', '.join(_GRANTS)})"
                    )
                grants.update(_GRANTS[word])
            out.append(
                Rule(
                    _strings(entry, "channels", where),
                    roles,
                    frozenset(grants),
                    tuple(u.lower() if "@" in u else u for u in users),
                )
            )
        return cls(out)

    @classmethod
    def from_file(cls, path: str | Path) -> Rules:
        """Read a ``.toml`` or ``.json`` rules file."""
        p = Path(path)
        try:
            text = p.read_bytes()
        except OSError as exc:
            raise RulesError(f"cannot read rules file {p}: {exc.strerror or exc}") from exc
        is_json = p.suffix.lower() == ".json"
        try:
            data = json.loads(text) if is_json else tomllib.loads(text.decode())
        except (ValueError, UnicodeDecodeError) as exc:
            raise RulesError(f"{p}: not valid {'JSON' if is_json else 'TOML'}: {exc}") from exc
        return cls.from_data(data, str(p))

    def permissions(
        self, role: str, name: str, claims: Mapping[str, Any] | None = None
    ) -> Permissions:
        """What ``role`` (the user of ``claims``, for entries with ``users``) may do on the
        private channel ``name``."""
        if role == SERVICE_ROLE:  # service_role bypasses RLS (§9.3)
            return ALL
        grants: set[str] = set()
        for rule in self.rules:
            if rule.matches(role, name, claims):
                grants |= rule.grants
        if not grants:
            return NONE
        return Permissions(
            "read" in grants,
            "write" in grants,
            "presence_read" in grants,
            "presence_write" in grants,
        )
