"""Sign-in for ``serve --users``: the Supabase Auth (GoTrue) calls the clients make to sign in
with a password, refresh a session, read the user and sign out, with GoTrue's shapes, statuses
and texts.

Read (not copied) from supabase/auth at commit bc32168e13fdc928c98b449fc76bc3fdb9a293c5
(2026-08-20): ``internal/api/token.go`` (grant types, password grant), ``token_refresh.go``
(refresh token validation), ``internal/tokens/service.go`` (the session response, the access
token claims, refresh token rotation with the reuse interval), ``internal/api/auth.go``,
``user.go`` (``GET /user``) and ``logout.go``, ``errors.go`` and ``apierrors/`` (error bodies:
``{"code": status, "error_code", "msg"}``, or ``{"code": error_code, "message"}`` when the
request says ``X-Supabase-Api-Version: 2024-01-01`` as supabase-js does),
``internal/models/user.go`` and ``identity.go`` (the user object). docs/server.md ("Sign-in")
lists what differs.

Before GoTrue, the gateway (Kong in ``supabase start``) wants an ``apikey`` (header or query)
that is one of the project's keys: 401 ``{"message": "No API key found in request"}`` /
``{"message": "Invalid authentication credentials"}``.

Sessions and refresh tokens live in memory. Passwords and tokens are never logged.
"""

from __future__ import annotations

import datetime
import json
import logging
import secrets
import string
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from inspector.protocol.invisible import printable
from inspector.protocol.jwt import JwtError, JwtErrorCode, peek
from inspector.protocol.serializer import dumps

from .auth import Authenticator
from .lograte import LogLimiter
from .signing import SigningKey
from .users import User, Users

log = logging.getLogger("inspector.server")

_JSON = "application/json"
API_VERSION_HEADER = "X-Supabase-Api-Version"
AUDIENCE = "authenticated"
INVALID_LOGIN = "Invalid login credentials"

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "authorization, apikey, content-type, x-client-info, x-supabase-api-version"
    ),
    "Access-Control-Max-Age": "86400",
}

_TOKEN_ALPHABET = string.ascii_lowercase + string.digits


class AuthError(Exception):
    """A GoTrue ``HTTPError``: status, error code and message."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_code, self.message = status, error_code, message


def _bad(error_code: str, message: str) -> AuthError:
    return AuthError(400, error_code, message)


def _iso(t: float) -> str:
    """A time as Go marshals ``time.Time`` in UTC (RFC 3339 with fractional seconds, ``Z``)."""
    text = datetime.datetime.fromtimestamp(t, datetime.UTC).isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z")


@dataclass
class _Session:
    id: str
    user_id: str
    created_at: float
    #: the refresh token currently active (not revoked) for this session, if any.
    current: str | None = None
    tokens: list[str] = field(default_factory=list)


@dataclass
class _RefreshToken:
    token: str = field(repr=False)
    session_id: str
    parent: str | None = field(repr=False)
    revoked: bool = False
    updated_at: float = 0.0


class AuthApi:
    """``POST /auth/v1/token`` (password, refresh_token), ``GET /auth/v1/user``,
    ``POST /auth/v1/logout``, ``GET /auth/v1/.well-known/jwks.json``."""

    def __init__(
        self,
        users: Users,
        *,
        signing_key: SigningKey,
        auth: Authenticator,
        apikeys: Callable[[], Collection[str]],
        issuer: Callable[[], str],
        jwt_expiry_s: int = 3600,
        reuse_interval_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        logs: LogLimiter | None = None,
    ) -> None:
        self.users = users
        self._key = signing_key
        self._auth = auth
        self._apikeys = apikeys
        self._issuer = issuer
        self.jwt_expiry_s = jwt_expiry_s
        self.reuse_interval_s = reuse_interval_s
        #: the time source (seconds since the epoch); tests move it on.
        self.clock = clock
        self._sessions: dict[str, _Session] = {}
        self._tokens: dict[str, _RefreshToken] = {}
        self._last_sign_in: dict[str, float] = {}
        self._created = clock()
        #: refusals are peer-caused: one line per kind per interval (lograte.py).
        self._logs = logs or LogLimiter(log, 10.0)

    def __repr__(self) -> str:
        return f"AuthApi(users={len(self.users)}, sessions={len(self._sessions)})"

    # ------------------------------------------------------------------------------ HTTP

    async def options(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers=CORS_HEADERS)

    async def jwks(self, request: web.Request) -> web.Response:
        """The public signing keys (GoTrue serves no HMAC key; no apikey needed, as the
        gateway's open jwks route)."""
        headers = dict(CORS_HEADERS)
        headers["Cache-Control"] = "public, max-age=600"
        return web.Response(
            text=dumps(self._key.jwks()), content_type=_JSON, headers=headers, status=200
        )

    async def token(self, request: web.Request) -> web.Response:
        return await self._serve(request, self._token)

    async def user(self, request: web.Request) -> web.Response:
        return await self._serve(request, self._user)

    async def _serve(self, request: web.Request, handler: Any) -> web.Response:
        gateway = self._gateway(request)
        if gateway is not None:
            return gateway
        try:
            status, body = await handler(request)
        except AuthError as exc:
            return self._error(request, exc)
        if body is None:
            return web.Response(status=status, headers=CORS_HEADERS)
        return web.Response(
            status=status, text=dumps(body), content_type=_JSON, headers=CORS_HEADERS
        )

    def _gateway(self, request: web.Request) -> web.Response | None:
        """Kong's key-auth: an ``apikey`` header or query value that is one of the keys."""
        key = request.headers.get("apikey")
        if key is None:
            key = request.query.get("apikey")
        if key is None:
            message = "No API key found in request"
        elif key in self._apikeys():
            return None
        else:
            message = "Invalid authentication credentials"
        self._logs.log(
            logging.INFO,
            "auth gateway refusal",
            "auth %s refused by the gateway check: %s",
            printable(request.path),
            message,
        )
        return web.Response(
            status=401, text=dumps({"message": message}), content_type=_JSON, headers=CORS_HEADERS
        )

    def _error(self, request: web.Request, exc: AuthError) -> web.Response:
        """GoTrue's error body: the 2024-01-01 shape when the request asks for it."""
        headers = dict(CORS_HEADERS)
        headers["x-sb-error-code"] = exc.error_code
        asked = request.headers.get(API_VERSION_HEADER, "")
        body: dict[str, Any]
        if _api_version_2024(asked):
            headers[API_VERSION_HEADER] = "2024-01-01"
            body = {"code": exc.error_code, "message": exc.message}
        else:
            body = {"code": exc.status, "error_code": exc.error_code, "msg": exc.message}
        self._logs.log(
            logging.INFO,
            "auth error",
            "auth %s: %d %s",
            printable(request.path),
            exc.status,
            exc.error_code,
        )
        return web.Response(
            status=exc.status, text=dumps(body), content_type=_JSON, headers=headers
        )

    # ------------------------------------------------------------------------------ grants

    async def _token(self, request: web.Request) -> tuple[int, dict[str, Any]]:
        grant = request.query.get("grant_type", "")
        if grant not in ("password", "refresh_token"):
            # GoTrue's answer to a grant it does not know; id_token, pkce and web3 exist there
            # but not here, so they get it too (docs/server.md)
            raise _bad("invalid_credentials", "unsupported_grant_type")
        params = _params(await request.read(), grant)
        if grant == "password":
            return 200, self._password(params)
        return 200, self._refresh(params)

    def _password(self, params: dict[str, str]) -> dict[str, Any]:
        email, phone, password = params["email"], params["phone"], params["password"]
        if email and phone:
            raise _bad(
                "validation_failed",
                "Only an email address or phone number should be provided on login.",
            )
        if email:
            user = self.users.by_email(email)
        elif phone:
            user = self.users.by_phone(phone)
        else:
            raise _bad("validation_failed", "missing email or phone")
        if user is None or not user.password_ok(password):
            raise _bad("invalid_credentials", INVALID_LOGIN)
        if email and not user.email_confirmed:
            raise _bad("email_not_confirmed", "Email not confirmed")
        now = self.clock()
        self._last_sign_in[user.id] = now
        session = _Session(str(uuid.uuid4()), user.id, now)
        self._sessions[session.id] = session
        token = self._new_refresh_token(session, None, now)
        log.info("auth: user %s signed in (session %s)", user.id, session.id)
        return self._session_response(user, session, token, now)

    def _refresh(self, params: dict[str, str]) -> dict[str, Any]:
        given = params["refresh_token"]
        # token_refresh.go Validate: 12 characters [a-z0-9] (v1), or a v2 token, which this
        # server never issues
        if len(given) != 12 or any(ch not in _TOKEN_ALPHABET for ch in given):
            raise _bad("validation_failed", "Refresh token is not valid")
        record = self._tokens.get(given)
        if record is None:
            raise _bad("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
        session = self._sessions.get(record.session_id)
        user = self.users.by_id(session.user_id) if session is not None else None
        if session is None or user is None:
            raise _bad("session_not_found", "Invalid Refresh Token: No Valid Session Found")
        now = self.clock()
        issued: str | None = None
        if record.revoked:
            active = self._tokens.get(session.current) if session.current else None
            if active is not None and active.parent == record.token:
                issued = active.token  # the client lost the last answer: give it again
            elif now > record.updated_at + self.reuse_interval_s:
                for token in session.tokens:  # reuse outside the interval: the family goes
                    self._tokens[token].revoked = True
                session.current = None
                self._logs.log(
                    logging.WARNING,
                    "auth refresh reuse",
                    "auth: a used refresh token was presented again; its session's tokens revoked",
                )
                raise _bad("refresh_token_already_used", "Invalid Refresh Token: Already Used")
        if issued is None:
            record.revoked = True
            record.updated_at = now
            issued = self._new_refresh_token(session, record.token, now)
        return self._session_response(user, session, issued, now)

    def _new_refresh_token(self, session: _Session, parent: str | None, now: float) -> str:
        token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(12))
        while token in self._tokens:
            token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(12))
        self._tokens[token] = _RefreshToken(token, session.id, parent, False, now)
        session.tokens.append(token)
        session.current = token
        return token

    def _session_response(
        self, user: User, session: _Session, refresh_token: str, now: float
    ) -> dict[str, Any]:
        iat = int(now)
        exp = iat + self.jwt_expiry_s
        claims = {
            "iss": self._issuer(),
            "sub": user.id,
            "aud": AUDIENCE,
            "exp": exp,
            "iat": iat,
            "email": user.email,
            "phone": user.phone,
            "app_metadata": user.app_metadata,
            "user_metadata": user.user_metadata,
            "role": user.role,
            "aal": "aal1",
            "amr": [{"method": "password", "timestamp": int(session.created_at)}],
            "session_id": session.id,
            "is_anonymous": False,
        }
        return {
            "access_token": self._key.sign(claims),
            "token_type": "bearer",
            "expires_in": exp - int(now),
            "expires_at": exp,
            "refresh_token": refresh_token,
            "user": self.user_json(user),
        }

    # ------------------------------------------------------------------------------ /user

    async def _user(self, request: web.Request) -> tuple[int, dict[str, Any]]:
        user, claims = self._authenticated(request)
        aud = claims.get("aud")
        first = aud[0] if isinstance(aud, list) and aud else aud
        if first != request.headers.get("X-JWT-AUD", AUDIENCE):
            raise _bad("validation_failed", "Token audience doesn't match request audience")
        return 200, self.user_json(user)

    async def logout(self, request: web.Request) -> web.Response:
        return await self._serve(request, self._logout)

    async def _logout(self, request: web.Request) -> tuple[int, None]:
        """``POST /logout?scope=global|local|others`` (logout.go): 204; the sessions go, and
        with them their refresh tokens (the access tokens then fail ``/user`` with
        ``session_not_found``)."""
        user, claims = self._authenticated(request)  # requireAuthentication runs first
        scope = request.query.get("scope", "") or "global"
        if scope not in ("global", "local", "others"):
            raise _bad("validation_failed", f"Unsupported logout scope {_go_quote(scope)}")
        current = claims.get("session_id")
        for session in list(self._sessions.values()):
            if session.user_id != user.id:
                continue
            mine = session.id == current
            if scope == "global" or (scope == "local") == mine:
                self._end(session)
        log.info("auth: user %s signed out (%s)", user.id, scope)
        return 204, None

    def sessions_of(self, user_id: str) -> int:
        """How many sessions the user has (signed in and not signed out)."""
        return sum(1 for s in self._sessions.values() if s.user_id == user_id)

    def _end(self, session: _Session) -> None:
        for token in session.tokens:
            self._tokens.pop(token, None)
        self._sessions.pop(session.id, None)

    def _authenticated(self, request: web.Request) -> tuple[User, dict[str, Any]]:
        """``requireAuthentication``: the bearer token's user (and claims), or GoTrue's error."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token or any(ch.isspace() for ch in token):
            raise AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token")
        claims = self._verified_claims(token)
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise AuthError(403, "bad_jwt", "invalid claim: missing sub claim")
        try:
            user_id = str(uuid.UUID(sub))
        except ValueError:
            raise AuthError(400, "bad_jwt", "invalid claim: sub claim must be a UUID") from None
        user = self.users.by_id(user_id)
        if user is None:
            raise AuthError(403, "user_not_found", "User from sub claim in JWT does not exist")
        session_id = claims.get("session_id")
        nil = str(uuid.UUID(int=0))
        if isinstance(session_id, str) and session_id not in ("", nil, *self._sessions):
            raise AuthError(
                403, "session_not_found", "Session from session_id claim in JWT does not exist"
            )
        return user, claims

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """The claims of a token this server signed (the JWKS or the secret), or GoTrue's 403
        ``bad_jwt`` with golang-jwt's reason."""
        verdict = self._auth.authenticate(token, self.clock())
        if isinstance(verdict, JwtError):
            reason = _jwt_reason(verdict, token)
            raise AuthError(
                403, "bad_jwt", f"invalid JWT: unable to parse or verify signature, {reason}"
            )
        return verdict.claims

    def user_json(self, user: User) -> dict[str, Any]:
        """The user object as GoTrue marshals ``models.User`` for an e-mail user."""
        created = _iso(self._created)
        last = self._last_sign_in.get(user.id)
        out: dict[str, Any] = {
            "id": user.id,
            "aud": AUDIENCE,
            "role": user.role,
            "email": user.email,
        }
        if user.email_confirmed:
            out["email_confirmed_at"] = created
        out["phone"] = user.phone
        if user.email_confirmed:
            out["confirmed_at"] = created
        if last is not None:
            out["last_sign_in_at"] = _iso(last)
        out["app_metadata"] = dict(user.app_metadata)
        out["user_metadata"] = dict(user.user_metadata)
        identity: dict[str, Any] = {
            "identity_id": str(uuid.uuid5(uuid.UUID(user.id), "email")),
            "id": user.id,
            "user_id": user.id,
            "identity_data": {
                "email": user.email,
                "email_verified": user.email_confirmed,
                "phone_verified": False,
                "sub": user.id,
            },
            "provider": "email",
        }
        if last is not None:
            identity["last_sign_in_at"] = _iso(last)
        identity.update({"created_at": created, "updated_at": created, "email": user.email})
        out["identities"] = [identity]
        out["created_at"] = created
        out["updated_at"] = created
        out["is_anonymous"] = False
        return out


def _api_version_2024(value: str) -> bool:
    """``DetermineClosestAPIVersion``: a date (YYYY-MM-DD) on or after 2024-01-01."""
    try:
        day = datetime.date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
    except ValueError:
        return False
    return day is not None and day >= datetime.date(2024, 1, 1)


_FIELDS = {"password": ("email", "phone", "password"), "refresh_token": ("refresh_token",)}
_STRUCTS = {"password": "PasswordGrantParams", "refresh_token": "RefreshTokenGrantParams"}


def _params(body: bytes, grant: str) -> dict[str, str]:
    """The request body as GoTrue's ``retrieveRequestParams`` reads it into its struct: JSON,
    field names matched case-insensitively, unknown fields ignored, strings only."""
    fields = _FIELDS[grant]
    out = dict.fromkeys(fields, "")
    prefix = "Could not parse request body as JSON: "
    if not body.strip():
        raise _bad("bad_json", prefix + "unexpected end of JSON input")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        bad = exc if isinstance(exc, json.JSONDecodeError) else None
        where = f" at line {bad.lineno} column {bad.colno}" if bad is not None else ""
        raise _bad("bad_json", f"{prefix}invalid JSON{where}") from None
    if data is None:
        return out
    if not isinstance(data, dict):
        kind = _go_kind(data)
        raise _bad(
            "bad_json",
            f"{prefix}json: cannot unmarshal {kind} into Go value of type api.{_STRUCTS[grant]}",
        )
    for key, value in data.items():
        name = next((f for f in fields if f == key.lower()), None)
        if name is None or value is None:
            continue
        if not isinstance(value, str):
            raise _bad(
                "bad_json",
                f"{prefix}json: cannot unmarshal {_go_kind(value)} into Go struct field "
                f"{_STRUCTS[grant]}.{name} of type string",
            )
        out[name] = value
    return out


def _go_quote(text: str) -> str:
    """Go's ``%q`` of a string, close enough: double quotes, backslash escapes."""
    return json.dumps(text)


def _go_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _jwt_reason(err: JwtError, token: str) -> str:
    """golang-jwt's text for why a token failed (what GoTrue appends to its 403)."""
    peeked = peek(token)
    alg = peeked.header.get("alg") if peeked is not None else None
    if err.code in (JwtErrorCode.MISSING, JwtErrorCode.MALFORMED) or peeked is None:
        if token.count(".") != 2:
            return "token is malformed: token contains an invalid number of segments"
        return "token is malformed: could not JSON decode header"
    if err.code is JwtErrorCode.EXPIRED:
        return "token has invalid claims: token is expired"
    if err.code is JwtErrorCode.BAD_SIGNATURE:
        if isinstance(alg, str) and alg.startswith("ES"):
            return "token signature is invalid: crypto/ecdsa: verification error"
        if isinstance(alg, str) and alg.startswith("RS"):
            return "token signature is invalid: crypto/rsa: verification error"
        return "token signature is invalid: signature is invalid"
    if err.code is JwtErrorCode.SIGNER:
        kid = peeked.header.get("kid")
        return (
            "token is unverifiable: error while executing keyfunc: "
            f"unrecognized JWT kid {kid if kid is not None else '<nil>'} for algorithm {alg}"
        )
    return "token has invalid claims: token is invalid"
