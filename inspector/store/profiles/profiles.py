"""Connection profiles without secrets, their validation, and what a key or token says (pure).

A :class:`Profile` holds only what may be written to the settings file: a name, the project URL
and the protocol version. API keys and user tokens live in the OS keychain (the UI's secret
store) under the profile's ``id``; nothing here ever holds them longer than a function call.

Keys are shown decoded for people (docs/realtime-protocol.md §9.2): legacy keys and user tokens
are JWTs (role, ref, expiry); ``sb_publishable_…``/``sb_secret_…`` keys are opaque and accepted
as such; anything else gets a warning but does not block Connect. An empty key or a bad URL
blocks Connect.
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC
from typing import Any, Final

from inspector.protocol import jwt
from inspector.store.profiles.identities import Identity, find_identity, identities_from_data
from inspector.store.timefmt import NO_TIME, finite_number, to_datetime

VSN_2: Final = "2.0.0"
VSN_1: Final = "1.0.0"
PROTOCOL_VERSIONS: Final = (VSN_2, VSN_1)

_REF = re.compile(r"^[a-z0-9]{20}$")
_CENTURY: Final = 100 * 365 * 86400


@dataclass(frozen=True, slots=True)
class Profile:
    """A saved connection: never a key or token (those are in the keychain under ``id``)."""

    id: str
    name: str
    url: str
    vsn: str = VSN_2
    #: whether the profile has an optional user access token (the token itself is elsewhere).
    has_token: bool = False
    #: named users of the project besides the profile's own key (issue #13 §1), no secrets.
    identities: tuple[Identity, ...] = ()

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "vsn": self.vsn,
            "has_token": self.has_token,
        }
        if self.identities:
            data["identities"] = [i.to_dict() for i in self.identities]
        return data

    def identity(self, name_or_id: str) -> Identity | None:
        """One of :attr:`identities` by id or name (see :func:`find_identity`)."""
        return find_identity(self.identities, name_or_id)

    @classmethod
    def from_dict(cls, data: Any) -> Profile | None:
        """Rebuild from :meth:`to_dict` output; None when malformed. Unknown keys are ignored,
        so a secret that somehow got into a settings file is never read back."""
        if not isinstance(data, dict):
            return None
        pid, name, url = data.get("id"), data.get("name"), data.get("url")
        if not (isinstance(pid, str) and pid and isinstance(name, str) and isinstance(url, str)):
            return None
        vsn = data.get("vsn")
        return cls(
            id=pid,
            name=name,
            url=url,
            vsn=vsn if vsn in PROTOCOL_VERSIONS else VSN_2,
            has_token=data.get("has_token") is True,
            identities=identities_from_data(data.get("identities")),
        )


def _split(text: str) -> urllib.parse.SplitResult | None:
    """``urlsplit`` that answers None where it would raise (``http://[::1``: an unclosed IPv6
    bracket raises ``ValueError``; a profile may hold anything a person typed)."""
    try:
        return urllib.parse.urlsplit(text)
    except ValueError:
        return None


def normalize_url(url: str) -> str:
    """Trim, expand a bare 20-character project ref to its hosted URL, drop a trailing slash
    and any path (a pasted dashboard URL keeps only its origin). Text that is not a URL comes
    back trimmed, never raises: :func:`validate_url` says what is wrong with it."""
    text = url.strip()
    if _REF.fullmatch(text):
        return f"https://{text}.supabase.co"
    parts = _split(text)
    if parts is not None and parts.scheme and parts.netloc:
        path = parts.path.rstrip("/")
        if path.endswith("/realtime/v1"):
            path = path[: -len("/realtime/v1")]
        if path.startswith("/project/") or path.startswith("/dashboard/"):
            path = ""
        return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))
    return text


def validate_url(url: str) -> str | None:
    """Why ``url`` is not a usable project URL, or None. Never raises."""
    text = normalize_url(url)
    if not text:
        return "Project URL is required"
    parts = _split(text)
    if parts is None:
        return "Project URL is not a valid URL (check the brackets of an IPv6 address)"
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return (
            "Project URL must start with https:// or http:// (for example https://abc.supabase.co)"
        )
    if not parts.hostname:
        return "Project URL has no host name"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "Project URL has an invalid port"
    if any(c.isspace() for c in text):
        return "Project URL contains spaces"
    return None


def validate_key(key: str) -> str | None:
    """Why ``key`` cannot be used to connect, or None (warnings come from :func:`describe_token`)."""
    if not key.strip():
        return "API key is required"
    if any(c.isspace() for c in key.strip()):
        return "API key contains spaces or line breaks"
    return None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A key or token decoded for display. Never holds the token itself."""

    #: ``empty``, ``jwt``, ``publishable``, ``secret`` or ``opaque``.
    kind: str
    role: str | None = None
    ref: str | None = None
    issuer: str | None = None
    subject: str | None = None
    #: ``exp`` claim, seconds since the epoch.
    exp: float | None = None
    alg: str | None = None
    #: the header's ``kid`` (asymmetric keys, a JWKS), and the ``email``, ``aal`` and ``iat``
    #: claims (issue #13 §1: an identity's decoded token).
    kid: str | None = None
    email: str | None = None
    aal: str | None = None
    issued_at: float | None = None

    def fields(self, now: float) -> list[tuple[str, str]]:
        """``(label, value)`` rows for an identity's decoded token: header, role, sub, email,
        aal, issued and expiry (with the time left, for a live countdown)."""
        if self.kind != "jwt":
            return [("token", self.describe(now))]
        header = self.alg or "—"
        if self.kid:
            header += f" · kid {self.kid}"
        rows = [
            ("header", header),
            ("role", self.role or "—"),
            ("sub", self.subject or "—"),
            ("email", self.email or "—"),
            ("aal", self.aal or "—"),
            ("issued", _when(self.issued_at, now) if self.issued_at is not None else "—"),
        ]
        if self.exp is None:
            rows.append(("expires", "never (no exp claim)"))
        elif self.expired(now):
            rows.append(("expires", f"expired {format_duration(now - self.exp)} ago"))
        else:
            rows.append(("expires", f"in {format_duration(self.exp - now)}"))
        return rows

    def expired(self, now: float) -> bool:
        return self.exp is not None and self.exp <= now

    def warning(self, now: float) -> str | None:
        """A warning for people, or None when the token looks usable."""
        if self.kind == "opaque":
            return "Not a JWT and not an sb_ key: the server will refuse it"
        if self.kind == "secret":
            return "This is a secret key: it bypasses Row Level Security; never ship it to clients"
        if self.kind != "jwt":
            return None
        if self.exp is None or self.role is None:
            return "JWT without `role` and `exp`: the server requires both (§9.1)"
        if self.expired(now):
            return f"Expired {format_duration(now - self.exp)} ago"
        return None

    def describe(self, now: float) -> str:
        """``role anon · ref abcd · expires in 3 h 2 min (2026-01-01 10:00 UTC)``."""
        if self.kind == "empty":
            return "(none)"
        if self.kind == "publishable":
            return "publishable key (sb_publishable_…): accepted as is"
        if self.kind == "secret":
            return "secret key (sb_secret_…): accepted as is"
        if self.kind == "opaque":
            return "not a JWT"
        parts = [f"role {self.role or '—'}"]
        if self.ref:
            parts.append(f"ref {self.ref}")
        if self.subject:
            parts.append(f"sub {self.subject}")
        if self.issuer:
            parts.append(f"iss {self.issuer}")
        if self.exp is not None:
            dt = to_datetime(self.exp, UTC)  # exp 1e20 is a number, not a date
            when = NO_TIME if dt is None else dt.strftime("%Y-%m-%d %H:%M UTC")
            if self.expired(now):
                parts.append(f"expired {format_duration(now - self.exp)} ago ({when})")
            else:
                parts.append(f"expires in {format_duration(self.exp - now)} ({when})")
        else:
            parts.append("no expiry")
        return " · ".join(parts)


def _claim_str(claims: dict[str, Any], key: str) -> str | None:
    value = claims.get(key)
    return value if isinstance(value, str) else None


def describe_token(token: str) -> TokenInfo:
    """Decode a key or token for display, without verifying it (§9.2)."""
    text = token.strip()
    if not text:
        return TokenInfo("empty")
    if text.startswith("sb_publishable_"):
        return TokenInfo("publishable")
    if text.startswith("sb_secret_"):
        return TokenInfo("secret")
    peeked = jwt.peek(text)
    if peeked is None:
        return TokenInfo("opaque")
    claims = peeked.claims
    exp = claims.get("exp")
    alg = peeked.header.get("alg")
    return TokenInfo(
        "jwt",
        role=_claim_str(claims, "role"),
        ref=_claim_str(claims, "ref"),
        issuer=_claim_str(claims, "iss"),
        subject=_claim_str(claims, "sub"),
        exp=finite_number(exp),  # json reads NaN and Infinity too
        alg=alg if isinstance(alg, str) else None,
        kid=_claim_str(peeked.header, "kid"),
        email=_claim_str(claims, "email"),
        aal=_claim_str(claims, "aal"),
        issued_at=finite_number(claims.get("iat")),
    )


def _when(at: float, now: float) -> str:
    """``2026-01-01 10:00:05 UTC (3 min 5 s ago)``."""
    dt = to_datetime(at, UTC)
    text = NO_TIME if dt is None else dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    ago = now - at
    return f"{text} ({format_duration(ago)} ago)" if ago >= 0 else text


def format_duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 10 min``, ``12 d 3 h``."""
    if not seconds < _CENTURY:  # a huge exp (1e300), or NaN
        return "over 100 years" if seconds == seconds else "an unknown time"
    s = int(max(0, seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


class ProfileBook:
    """The ordered list of saved profiles: add, edit, duplicate, delete, unique names."""

    def __init__(self, profiles: list[Profile] | None = None) -> None:
        self._profiles: list[Profile] = []
        for p in profiles or []:
            if self.get(p.id) is None:
                self._profiles.append(p)

    def __len__(self) -> int:
        return len(self._profiles)

    def __iter__(self) -> Iterator[Profile]:
        return iter(list(self._profiles))

    def __getitem__(self, index: int) -> Profile:
        return self._profiles[index]

    def index_of(self, profile_id: str) -> int:
        for i, p in enumerate(self._profiles):
            if p.id == profile_id:
                return i
        return -1

    def get(self, profile_id: str) -> Profile | None:
        i = self.index_of(profile_id)
        return self._profiles[i] if i >= 0 else None

    def unique_name(self, base: str) -> str:
        names = {p.name for p in self._profiles}
        if base not in names:
            return base
        n = 2
        while f"{base} ({n})" in names:
            n += 1
        return f"{base} ({n})"

    def add(self, profile: Profile) -> Profile:
        if self.get(profile.id) is not None:
            raise ValueError(f"profile {profile.id} exists")
        profile = replace(profile, name=self.unique_name(profile.name.strip() or "Untitled"))
        self._profiles.append(profile)
        return profile

    def update(self, profile: Profile) -> None:
        i = self.index_of(profile.id)
        if i < 0:
            raise KeyError(profile.id)
        self._profiles[i] = profile

    def duplicate(self, profile_id: str) -> Profile:
        source = self.get(profile_id)
        if source is None:
            raise KeyError(profile_id)
        copy = replace(source, id=Profile.new_id(), name=self.unique_name(f"{source.name} copy"))
        self._profiles.insert(self.index_of(profile_id) + 1, copy)
        return copy

    def remove(self, profile_id: str) -> None:
        i = self.index_of(profile_id)
        if i >= 0:
            del self._profiles[i]

    def to_data(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self._profiles]

    @classmethod
    def from_data(cls, data: Any) -> ProfileBook:
        profiles = []
        if isinstance(data, list):
            for entry in data:
                p = Profile.from_dict(entry)
                if p is not None:
                    profiles.append(p)
        return cls(profiles)
