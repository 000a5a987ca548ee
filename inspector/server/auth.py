"""Token checks of the local server: HS256 JWTs as the real server (§9.1), plus opaque keys.

A configured ``sb_publishable_…`` / ``sb_secret_…`` string stands for the anon / service_role
JWT that the Supabase gateway would have substituted (§9.2). Tokens never appear in reprs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inspector.protocol.jwt import JwtError, JwtErrorCode, seconds, verify

SERVICE_ROLE = "service_role"
ANON = "anon"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a verified token speaks for."""

    #: the ``role`` claim (the Postgres role on private channels, §9.3).
    role: str
    #: ``exp`` in seconds since the epoch, or None for opaque keys (never expire).
    exp: float | None
    claims: dict[str, Any] = field(repr=False)
    #: the token itself, to compare refreshes against; never printed.
    token: str = field(repr=False)


class Authenticator:
    """Verifies tokens for the websocket handshake, joins, refreshes and REST."""

    def __init__(
        self,
        secret: str,
        *,
        publishable_keys: tuple[str, ...] = (),
        secret_keys: tuple[str, ...] = (),
        claim_validators: dict[str, Any] | None = None,
    ) -> None:
        self._secret = secret
        self._opaque: dict[str, str] = {k: ANON for k in publishable_keys}
        self._opaque.update({k: SERVICE_ROLE for k in secret_keys})
        self._validators = dict(claim_validators or {})

    def __repr__(self) -> str:
        return f"Authenticator(opaque_keys={len(self._opaque)})"

    def authenticate(self, token: object, now: float) -> Identity | JwtError:
        """The identity of a token, or why it is refused."""
        if not isinstance(token, str) or token == "":
            return JwtError(JwtErrorCode.MISSING)
        role = self._opaque.get(token.strip())
        if role is not None:
            return Identity(role, None, {"role": role}, token)
        claims = verify(token, self._secret, now, self._validators)
        if isinstance(claims, JwtError):
            return claims
        return Identity(str(claims["role"]), seconds(claims["exp"]), claims, token)


def bearer_token(authorization: str | None, apikey: str | None) -> str | None:
    """The REST token: ``Authorization: Bearer …`` (scheme in any case), else ``apikey`` (§6.1)."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return apikey or None
