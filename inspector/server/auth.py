"""Token checks of the local server: JWTs as the real server (§9.1), plus opaque keys.

HS256/384/512 tokens are checked with the legacy secret (or a JWKS ``oct`` key with their
``kid``), RS*/ES*/EdDSA tokens against the server's JWKS (``signing.JwksVerifier``), choosing
the key as ``realtime_web/channels/auth/jwt_verification.ex`` does. A configured
``sb_publishable_…`` / ``sb_secret_…`` string stands for the anon / service_role JWT that the
Supabase gateway would have substituted (§9.2). Tokens never appear in reprs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inspector.protocol.jwt import (
    JwtError,
    JwtErrorCode,
    check_claims,
    normalize,
    peek,
    seconds,
    verify,
)

from .signing import JwksVerifier

SERVICE_ROLE = "service_role"
ANON = "anon"

_HS = ("HS256", "HS384", "HS512")
_ASYMMETRIC = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "Ed448")


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
        jwks: dict[str, Any] | None = None,
    ) -> None:
        self._secret = secret
        #: the tenant JWKS (None: only the secret, as a project without asymmetric keys).
        self._jwks = JwksVerifier(jwks) if jwks is not None else None
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
        claims = self._verify(token, now)
        if isinstance(claims, JwtError):
            return claims
        return Identity(str(claims["role"]), seconds(claims["exp"]), claims, token)

    def _verify(self, token: str, now: float) -> dict[str, Any] | JwtError:
        if self._jwks is None:
            return verify(token, self._secret, now, self._validators)
        peeked = peek(normalize(token))
        header = peeked.header if peeked is not None else {}
        alg, kid = header.get("alg"), header.get("kid")
        if peeked is None or not isinstance(kid, str) or not isinstance(alg, str):
            return verify(token, self._secret, now, self._validators)
        if alg in _HS or alg not in _ASYMMETRIC:
            # HS* with a kid: the JWKS holds no oct key (it is never served), so the real
            # server falls back to the secret; an unknown alg has no signer there either
            return verify(token, self._secret, now, self._validators)
        # the HS path of protocol.verify checks the shape first; the same checks here
        malformed = verify(token, "", now, self._validators)
        if isinstance(malformed, JwtError) and malformed.code is JwtErrorCode.MALFORMED:
            return malformed
        if self._jwks.key_for(alg, kid) is None:
            return JwtError(JwtErrorCode.SIGNER, kid=kid)
        if not self._jwks.signature_ok(alg, kid, peeked.signing_input, peeked.signature):
            return JwtError(JwtErrorCode.BAD_SIGNATURE)
        return check_claims(peeked.claims, now, self._validators)


def bearer_token(authorization: str | None, apikey: str | None) -> str | None:
    """The REST token: ``Authorization: Bearer …`` (scheme in any case), else ``apikey`` (§6.1)."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return apikey or None
