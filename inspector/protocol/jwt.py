"""JSON Web Tokens as Realtime uses them (docs/realtime-protocol.md §9): pure, stdlib only.

- :func:`peek` decodes a token's header and claims without checking anything, for display
  (the inspector's claims panel) and for choosing what to verify.
- :func:`verify` checks an HS256/384/512 token the way the Realtime server does (§9.1) and
  returns either the claims or a :class:`JwtError` whose ``code`` says what failed. The server
  turns that code into the exact text of each context (handshake, join, refresh, REST) with
  :func:`handshake_text`, :func:`join_reason` and :func:`system_text`.
- :func:`sign` makes HS256 tokens (the local server's anon and service_role keys, tests).

Time is passed in as seconds since the epoch; nothing here reads a clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import urllib.parse
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from .server_json import JsonRejected, loads

#: The Supabase CLI's public local-development secret (§9.2). Public on purpose: it signs the
#: well-known demo keys that every `supabase start` project uses.
CLI_DEV_SECRET: Final = "super-secret-jwt-token-with-at-least-32-characters-long"
#: `exp` of the CLI's demo keys (§9.2).
CLI_DEMO_EXP: Final = 1983812996

_HASHES: Final = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
_WS = re.compile(r"\s+")
_DOUBLE_MAX: Final = 1.7976931348623157e308


class JwtErrorCode(Enum):
    """Why a token was refused (§1.4, §4.4, §9.1)."""

    MISSING = "missing"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    SIGNER = "signer"
    EXPIRED = "expired"
    BAD_EXP = "bad_exp"
    MISSING_CLAIMS = "missing_claims"
    CLAIM_MISMATCH = "claim_mismatch"


@dataclass(frozen=True, slots=True)
class JwtError:
    """A refused token. ``expired_seconds`` is set for :attr:`JwtErrorCode.EXPIRED`."""

    code: JwtErrorCode
    expired_seconds: int = 0
    detail: str = ""
    #: for :attr:`JwtErrorCode.SIGNER`: the token's ``kid`` that no JWKS key matches.
    kid: str | None = None


@dataclass(frozen=True, slots=True)
class Peeked:
    """A token's parts decoded without verification."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; raises ``ValueError`` on bad input."""
    if not re.fullmatch(r"[A-Za-z0-9_\-]*", text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(str(exc)) from None


def normalize(token: str) -> str:
    """URL-decode and strip all whitespace, as the server does before verifying (§9.1)."""
    return _WS.sub("", urllib.parse.unquote(token))


def peek(token: str) -> Peeked | None:
    """Decode a JWT's header and claims without verifying it; None when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return Peeked(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def looks_like_jwt(text: str) -> bool:
    """Whether a string has the shape of a JWT (three base64url parts, JSON header)."""
    return peek(text) is not None


def sign(claims: dict[str, Any], secret: str, alg: str = "HS256") -> str:
    """Sign claims with an HMAC algorithm."""
    header = {"alg": alg, "typ": "JWT"}
    h = b64url_encode(json.dumps(header, separators=(",", ":")).encode())
    c = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{h}.{c}".encode("ascii")
    sig = hmac.new(secret.encode(), signing_input, _HASHES[alg]).digest()
    return f"{h}.{c}.{b64url_encode(sig)}"


def _is_number(value: object) -> bool:
    """Elixir's ``is_number``: any integer (no size limit: ``exp`` = 10**400 is a number there)
    or a finite float (JSON text cannot hold another)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _jason_reads(token: str) -> bool:
    """Whether the real server's JSON decoder (Jason) reads the header and claims: Python's
    also takes ``NaN``, ``Infinity`` and numbers beyond the double range (``1e400``), which
    make the token malformed there (server_json, §9.1)."""
    head, claims, _ = token.split(".")
    try:
        loads(b64url_decode(head))
        loads(b64url_decode(claims))
    except (JsonRejected, ValueError):
        return False
    return True


def expired_for(exp: float, now: float) -> int:
    """Whole seconds since ``exp``, as the server computes them (integer seconds; exact for
    integers of any size, where ``now - exp`` would overflow a float)."""
    if isinstance(exp, int):
        return max(0, int(now) - exp)
    return max(0, int(now - exp))


def seconds(exp: float) -> float:
    """``exp`` as a float for timers: integers beyond the double range become the largest
    double (a token that does not expire in any clock's lifetime, as on the real server)."""
    return float(min(exp, _DOUBLE_MAX)) if isinstance(exp, int) else exp


def verify(
    token: str | None,
    secret: str,
    now: float,
    claim_validators: dict[str, Any] | None = None,
) -> dict[str, Any] | JwtError:
    """Verify a token as the Realtime server does (§9.1) and return its claims or an error."""
    if token is None or not isinstance(token, str) or token == "":
        return JwtError(JwtErrorCode.MISSING)
    normalized = normalize(token)
    peeked = peek(normalized)
    if peeked is None or not _jason_reads(normalized):
        return JwtError(JwtErrorCode.MALFORMED)
    alg = peeked.header.get("alg")
    digest = _HASHES.get(alg) if isinstance(alg, str) else None
    if digest is None:
        # RS*/ES*/EdDSA need a JWKS the local server does not have (§9.1).
        return JwtError(JwtErrorCode.SIGNER, detail=str(alg))
    expected = hmac.new(secret.encode(), peeked.signing_input, digest).digest()
    if not hmac.compare_digest(expected, peeked.signature):
        return JwtError(JwtErrorCode.BAD_SIGNATURE)
    return check_claims(peeked.claims, now, claim_validators)


def check_claims(
    claims: dict[str, Any], now: float, claim_validators: dict[str, Any] | None = None
) -> dict[str, Any] | JwtError:
    """The claim checks of :func:`verify`, once the signature holds (§9.1): ``exp``, ``iat``,
    the exact-match validators, then ``role`` and ``exp`` present. Also used by the local
    server for asymmetric tokens, whose signature it checks against its JWKS."""
    if "exp" in claims:
        exp = claims["exp"]
        if not _is_number(exp):
            return JwtError(JwtErrorCode.BAD_EXP)
        if exp <= now:
            return JwtError(JwtErrorCode.EXPIRED, expired_seconds=expired_for(exp, now))
    if "iat" in claims and not _is_number(claims["iat"]):
        return JwtError(JwtErrorCode.MALFORMED, detail="iat")
    for key, value in (claim_validators or {}).items():
        if claims.get(key) != value:
            return JwtError(JwtErrorCode.CLAIM_MISMATCH, detail=key)
    if "role" not in claims or "exp" not in claims:
        return JwtError(JwtErrorCode.MISSING_CLAIMS)
    return claims


_REQUIRED = "Fields `role` and `exp` are required in JWT"
_SIGNER = "Failed to generate JWT signer, check your JWT secret or JWKS configuration"


def _signer_text(err: JwtError) -> str:
    """The signer text; with the token's ``kid`` when the JWKS has no key for it (the real
    server writes it with Elixir's ``inspect``: in double quotes)."""
    if err.kid is None:
        return _SIGNER
    quoted = err.kid.replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'Failed to generate JWT signer for key ID (kid) "{quoted}", '
        "check your JWT secret or JWKS configuration"
    )


def handshake_text(err: JwtError) -> str:
    """The ``error`` text of a refused websocket handshake (HTTP 401, §1.4)."""
    return {
        JwtErrorCode.MISSING: "API key is missing",
        JwtErrorCode.EXPIRED: "Token has expired",
        JwtErrorCode.MISSING_CLAIMS: _REQUIRED,
        JwtErrorCode.MALFORMED: "The token provided is not a valid JWT",
        JwtErrorCode.BAD_SIGNATURE: "Failed to validate JWT signature",
        JwtErrorCode.SIGNER: _signer_text(err),
        JwtErrorCode.BAD_EXP: "Token expiration time is invalid",
        JwtErrorCode.CLAIM_MISMATCH: "Invalid JWT claims",
    }[err.code]


def join_reason(err: JwtError) -> str:
    """The ``reason`` of a refused ``phx_join`` (§4.4)."""
    return {
        JwtErrorCode.MISSING: "MalformedJWT: The token provided is not a valid JWT",
        JwtErrorCode.EXPIRED: f"InvalidJWTToken: Token has expired {err.expired_seconds} seconds ago",
        JwtErrorCode.MISSING_CLAIMS: f"InvalidJWTToken: {_REQUIRED}",
        JwtErrorCode.MALFORMED: "MalformedJWT: The token provided is not a valid JWT",
        JwtErrorCode.BAD_SIGNATURE: "JwtSignatureError: Failed to validate JWT signature",
        JwtErrorCode.SIGNER: f"JwtSignerError: {_signer_text(err)}",
        JwtErrorCode.BAD_EXP: "InvalidJWTToken: Token expiration time is invalid",
        JwtErrorCode.CLAIM_MISMATCH: "InvalidJWTToken: Invalid JWT claims",
    }[err.code]


def system_text(err: JwtError) -> str:
    """The ``message`` of the system error that closes a channel after a refresh (§7.4, §10)."""
    return {
        JwtErrorCode.MISSING: "The token provided is not a valid JWT",
        JwtErrorCode.EXPIRED: f"Token has expired {err.expired_seconds} seconds ago",
        JwtErrorCode.MISSING_CLAIMS: _REQUIRED,
        JwtErrorCode.MALFORMED: "The token provided is not a valid JWT",
        JwtErrorCode.BAD_SIGNATURE: "Failed to validate JWT signature",
        JwtErrorCode.SIGNER: _signer_text(err),
        JwtErrorCode.BAD_EXP: "Token expiration time is invalid",
        JwtErrorCode.CLAIM_MISMATCH: "Invalid JWT claims",
    }[err.code]


def demo_key(role: str, secret: str = CLI_DEV_SECRET) -> str:
    """The Supabase CLI's well-known demo key for ``role`` (anon or service_role, §9.2)."""
    return sign({"iss": "supabase-demo", "role": role, "exp": CLI_DEMO_EXP}, secret)
