"""The identities of a profile, without their secrets (issue #13 §1; pure).

An :class:`Identity` is what the settings file may hold about one user of a profile: an id, a
name, its kind (``anon``, ``key``, ``token``, ``password``, ``minted``) and the non-secret
parts (the sign-in email; for a minted token its role, sub, email, extra claims and lifetime).
The key, token, refresh token, password or JWT secret live in the keychain under names made by
:func:`secret_kind` (``identity.<id>.<field>``), next to the profile's own key; the fields a
kind needs are :data:`SECRET_FIELDS`. :meth:`Identity.from_dict` ignores unknown keys, so a
secret that somehow got into a settings file is never read back.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

IDENTITY_KINDS: Final = ("anon", "key", "token", "password", "minted")
#: Names for people, in the order the window lists them.
KIND_LABELS: Final = {
    "anon": "Anonymous (the profile's key)",
    "key": "API key (service_role / secret)",
    "token": "Pasted access token",
    "password": "Email + password sign-in",
    "minted": "Minted token (JWT secret)",
}
#: The secrets of each kind, by field name (stored with :func:`secret_kind`).
SECRET_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "anon": (),
    "key": ("key",),
    "token": ("token", "refresh_token"),
    "password": ("password",),
    "minted": ("jwt_secret",),
}
#: Every secret field of any kind.
ALL_SECRET_FIELDS: Final = ("key", "token", "refresh_token", "password", "jwt_secret")
#: The prefix of identity secrets in the keychain (after ``<profile id>:``).
SECRET_PREFIX: Final = "identity."
DEFAULT_LIFETIME_S: Final = 3600.0


def secret_kind(identity_id: str, secret_field: str) -> str:
    """The keychain kind of one secret of an identity: ``identity.<id>.<field>``."""
    return f"{SECRET_PREFIX}{identity_id}.{secret_field}"


@dataclass(frozen=True, slots=True)
class Identity:
    """One named user of a profile, never a secret."""

    id: str
    name: str
    kind: str = "anon"
    #: The sign-in email (``password``) or the ``email`` claim (``minted``).
    email: str = ""
    #: ``minted``: the ``role`` claim.
    role: str = "authenticated"
    #: ``minted``: the ``sub`` claim (the user id).
    sub: str = ""
    #: ``minted``: extra claims (JSON values), added last.
    claims: Mapping[str, Any] = field(default_factory=dict)
    #: ``minted``: seconds from signing to ``exp``.
    lifetime_s: float = DEFAULT_LIFETIME_S
    #: ``token``: whether a refresh token was given (it is in the keychain).
    has_refresh_token: bool = False

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    @property
    def secret_fields(self) -> tuple[str, ...]:
        """The keychain fields this identity uses (the refresh token only when it has one)."""
        fields = SECRET_FIELDS.get(self.kind, ())
        if self.kind == "token" and not self.has_refresh_token:
            return ("token",)
        return fields

    def describe(self) -> str:
        """``password · a@b``, ``minted · authenticated · sub u1``: one line for lists."""
        parts = [self.kind]
        if self.kind == "password" and self.email:
            parts.append(self.email)
        if self.kind == "minted":
            parts.append(self.role)
            if self.sub:
                parts.append(f"sub {self.sub}")
            if self.email:
                parts.append(self.email)
        if self.kind == "token" and self.has_refresh_token:
            parts.append("with refresh token")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind}
        if self.email:
            data["email"] = self.email
        if self.kind == "minted":
            data.update(
                role=self.role, sub=self.sub, claims=dict(self.claims), lifetime_s=self.lifetime_s
            )
        if self.has_refresh_token:
            data["has_refresh_token"] = True
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Identity | None:
        """Rebuild from :meth:`to_dict` output; None when malformed; unknown keys ignored."""
        if not isinstance(data, dict):
            return None
        iid, name, kind = data.get("id"), data.get("name"), data.get("kind")
        if not (isinstance(iid, str) and iid and isinstance(name, str) and name.strip()):
            return None
        if kind not in IDENTITY_KINDS:
            return None
        claims = data.get("claims")
        lifetime = data.get("lifetime_s")
        ok_lifetime = (
            isinstance(lifetime, int | float)
            and not isinstance(lifetime, bool)
            and math.isfinite(lifetime)
            and lifetime > 0
        )
        return cls(
            id=iid,
            name=name,
            kind=kind,
            email=_text(data.get("email")),
            role=_text(data.get("role")) or "authenticated",
            sub=_text(data.get("sub")),
            claims=dict(claims) if isinstance(claims, dict) else {},
            lifetime_s=float(lifetime) if ok_lifetime else DEFAULT_LIFETIME_S,  # type: ignore[arg-type]
            has_refresh_token=data.get("has_refresh_token") is True,
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def identities_from_data(data: Any) -> tuple[Identity, ...]:
    """A profile's identities from settings data: malformed entries and repeated ids or names
    are skipped."""
    if not isinstance(data, list):
        return ()
    out: list[Identity] = []
    ids: set[str] = set()
    names: set[str] = set()
    for entry in data:
        identity = Identity.from_dict(entry)
        if identity is None or identity.id in ids or identity.name in names:
            continue
        ids.add(identity.id)
        names.add(identity.name)
        out.append(identity)
    return tuple(out)


def find_identity(identities: Iterable[Identity], name_or_id: str) -> Identity | None:
    """The identity with this id, else this name (exact, then ignoring case), or None."""
    items = list(identities)
    for identity in items:
        if identity.id == name_or_id:
            return identity
    for identity in items:
        if identity.name == name_or_id:
            return identity
    folded = name_or_id.casefold()
    matches = [i for i in items if i.name.casefold() == folded]
    return matches[0] if len(matches) == 1 else None


def validate_identity_name(name: str, others: Iterable[Identity], own_id: str = "") -> str | None:
    """Why ``name`` cannot name an identity of this profile, or None."""
    text = name.strip()
    if not text:
        return "An identity needs a name"
    if any(i.name == text and i.id != own_id for i in others):
        return f"This profile already has an identity named {text!r}"
    return None


def parse_claims(lines: str) -> dict[str, Any]:
    """Extra claims typed as ``k=v`` lines: ``v`` is JSON when it reads as JSON (``n=3``, ``meta={"a":1}``), else text.
    Raises ``ValueError`` naming the bad line."""
    claims: dict[str, Any] = {}
    for raw in lines.splitlines():
        text = raw.strip()
        if not text:
            continue
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"a claim is NAME=VALUE, not {text!r}")
        try:
            claims[name.strip()] = json.loads(value)
        except ValueError:
            claims[name.strip()] = value.strip()
    return claims


def format_claims(claims: Mapping[str, Any]) -> str:
    """The inverse of :func:`parse_claims`: one ``k=v`` line per claim (JSON for non-text)."""
    lines = []
    for name, value in claims.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{name}={text}")
    return "\n".join(lines)
