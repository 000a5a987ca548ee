"""Who a connection is: the identities of a profile, signed in, minted and kept fresh (no Qt).

A profile has a project URL and an API key (anon or ``sb_publishable_…``); an
:class:`IdentitySpec` says who else to be on that project (issue #13 §1), one of five kinds:

========  ==========================================================================
anon      nothing: the profile's key, no user token
key       another API key (``service_role`` JWT or ``sb_secret_…``) in place of the profile's;
          a JWT key is also the access token of the joins, as supabase-js sends it
token     a pasted user access token, optionally with its refresh token
password  email + password, signed in against the project's Auth (:mod:`.auth`)
minted    an HS256 token signed here (:class:`MintSpec`) with the project's JWT secret
          (``supabase start``, self-hosted, ``realtime-inspector serve``)
========  ==========================================================================

An :class:`IdentitySession` turns a spec into :class:`ClientSettings` (:meth:`~IdentitySession.
start`) and keeps the token fresh: :meth:`~IdentitySession.keep_fresh` refreshes a fifth of the
token's lifetime (at most 60 s) before it expires, signed-in identities with
``grant_type=refresh_token`` (falling back to the password when Auth refuses the refresh
token), minted ones by signing again, and hands every new token to the
:meth:`~IdentitySession.on_token` subscribers (a client's ``set_access_token``, which pushes it
to every joined channel, docs/realtime-protocol.md §4.4). A failed refresh is retried with
back-off and reported to the :meth:`~IdentitySession.on_error` subscribers and in
:attr:`~IdentitySession.status`. Keys, tokens, passwords and secrets never appear in ``repr``,
a message or a log line.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

from inspector.protocol import jwt

from .auth import AuthSession, SignInFailed, refresh_session, sign_in_with_password
from .errors import InspectorError, InvalidSettings
from .settings import ClientSettings

__all__ = [
    "IDENTITY_KINDS",
    "IdentityError",
    "IdentityKind",
    "IdentitySession",
    "IdentitySpec",
    "InvalidIdentity",
    "MintSpec",
    "mint_claims",
    "refresh_delay",
]

log = logging.getLogger(__name__)

IdentityKind = Literal["anon", "key", "token", "password", "minted"]
IDENTITY_KINDS: Final[tuple[IdentityKind, ...]] = ("anon", "key", "token", "password", "minted")

#: A refresh starts this share of the token's lifetime before it expires ...
REFRESH_SHARE: Final = 0.2
#: ... but never more than this many seconds early (supabase-js refreshes within a margin too).
REFRESH_MARGIN_MAX_S: Final = 60.0
#: Waits between failed refreshes, the last repeating.
RETRY_SCHEDULE: Final = (1.0, 2.0, 5.0, 10.0, 30.0)


class IdentityError(InspectorError):
    """An identity that cannot do what was asked (refresh a pasted token without a refresh
    token, sign in on a URL without Auth, use a session that was closed)."""


class InvalidIdentity(IdentityError, InvalidSettings):
    """An :class:`IdentitySpec` or :class:`MintSpec` refused when made."""


@dataclass(frozen=True, slots=True)
class MintSpec:
    """A token we sign ourselves (HS256) for a project whose JWT secret we have."""

    secret: str = field(repr=False)
    role: str = "authenticated"
    #: The user id (``auth.uid()`` in policies); empty: no ``sub`` claim.
    sub: str = ""
    #: Empty: no ``email`` claim.
    email: str = ""
    #: Extra claims, added last: they may replace the computed ones (``aal``, ``aud``, ``iss``).
    claims: Mapping[str, Any] = field(default_factory=dict)
    #: Seconds from signing to ``exp``.
    lifetime_s: float = 3600.0

    def __post_init__(self) -> None:
        if not isinstance(self.secret, str) or not self.secret:
            raise InvalidIdentity("a minted identity needs the project's JWT secret")
        if not self.role.strip():
            raise InvalidIdentity("a minted identity needs a role (authenticated, anon, …)")
        lifetime = self.lifetime_s
        if isinstance(lifetime, bool) or not math.isfinite(lifetime) or lifetime <= 0:
            raise InvalidIdentity("the token lifetime must be a number of seconds above 0")
        object.__setattr__(self, "claims", MappingProxyType(dict(self.claims)))


def mint_claims(
    *,
    role: str,
    now: float,
    lifetime_s: float,
    sub: str | None = None,
    email: str | None = None,
    extra: Mapping[str, Any] | None = None,
    session_id: str | None = None,
) -> dict[str, Any]:
    """The claims of a Supabase Auth access token (``aud``, ``exp``, ``iat``, ``role``,
    ``aal``, ``session_id``, ``is_anonymous``, then ``sub``/``email`` when given), ``extra``
    last so that it may replace any of them. Shared by :class:`IdentitySession` and
    ``realtime-inspector token mint``."""
    claims: dict[str, Any] = {
        "aud": "authenticated" if role != "anon" else "anon",
        "exp": int(now + lifetime_s),
        "iat": int(now),
        "role": role,
        "aal": "aal1",
        "session_id": session_id or str(uuid.uuid4()),
        "is_anonymous": role == "anon",
    }
    if sub:
        claims["sub"] = sub
    if email:
        claims["email"] = email
    claims.update(extra or {})
    return claims


@dataclass(frozen=True, slots=True)
class IdentitySpec:
    """Who to be: exactly one of nothing (anon), ``key``, ``token`` (+ ``refresh_token``),
    ``email`` + ``password``, ``mint``. Refused with :class:`InvalidIdentity` otherwise."""

    name: str
    #: Replaces the profile's API key (service_role JWT or ``sb_secret_…``); also the access
    #: token when it is a JWT (supabase-js does that).
    key: str | None = field(default=None, repr=False)
    #: A pasted user access token.
    token: str | None = field(default=None, repr=False)
    #: Optional, with ``token``: lets the identity refresh itself.
    refresh_token: str | None = field(default=None, repr=False)
    email: str | None = None
    password: str | None = field(default=None, repr=False)
    mint: MintSpec | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidIdentity("an identity needs a name")
        for what in ("key", "token", "refresh_token", "email", "password"):
            value = getattr(self, what)
            if value is not None and not value.strip():
                raise InvalidIdentity(f"identity {self.name!r}: the {_WORDS[what]} is empty")
            if value is not None and what != "password":
                object.__setattr__(self, what, value.strip())
        if self.refresh_token is not None and self.token is None:
            raise InvalidIdentity(
                f"identity {self.name!r}: a refresh token goes with a pasted access token"
            )
        if (self.email is None) != (self.password is None):
            missing = "password" if self.password is None else "email"
            raise InvalidIdentity(
                f"identity {self.name!r}: signing in needs an email and a password "
                f"(the {missing} is missing)"
            )
        given = [
            word
            for word, present in (
                ("an API key", self.key is not None),
                ("an access token", self.token is not None),
                ("an email and password", self.email is not None),
                ("a JWT secret to mint with", self.mint is not None),
            )
            if present
        ]
        if len(given) > 1:
            raise InvalidIdentity(
                f"identity {self.name!r} is one kind of user, not several: "
                f"it has {' and '.join(given)}"
            )

    @property
    def kind(self) -> IdentityKind:
        """``anon``, ``key``, ``token``, ``password`` or ``minted``."""
        if self.key is not None:
            return "key"
        if self.token is not None:
            return "token"
        if self.email is not None:
            return "password"
        if self.mint is not None:
            return "minted"
        return "anon"

    @property
    def refreshable(self) -> bool:
        """Whether the identity can get itself a new token (sign-in, refresh token, mint)."""
        return self.kind in ("password", "minted") or self.refresh_token is not None


_WORDS: Final = {
    "key": "API key",
    "token": "access token",
    "refresh_token": "refresh token",
    "email": "email",
    "password": "password",
}


def refresh_delay(seconds_left: float) -> float:
    """Seconds to wait before refreshing a token with ``seconds_left`` to live: a fifth of
    that time (at most :data:`REFRESH_MARGIN_MAX_S`) before it expires; 0 when due."""
    left = max(seconds_left, 0.0)
    return max(0.0, left - min(REFRESH_MARGIN_MAX_S, left * REFRESH_SHARE))


TokenCallback = Callable[[str], Awaitable[None] | None]
ErrorCallback = Callable[[InspectorError, float], None]


class IdentitySession:
    """One identity in use: its settings, its current token, and the loop that refreshes it.

    ``start(base)`` once (signs in or mints), then optionally run ``keep_fresh()`` as a task;
    ``close()`` at the end ends that task's loop. Not thread-safe: one event loop.
    """

    def __init__(self, spec: IdentitySpec) -> None:
        self.spec = spec
        self._base: ClientSettings | None = None
        self._settings: ClientSettings | None = None
        self._token: str | None = None
        self._refresh_token: str | None = spec.refresh_token
        self._session_expires_at: float | None = None
        self._peeked: jwt.Peeked | None = None
        self._session_id = str(uuid.uuid4())
        self._subscribers: list[TokenCallback] = []
        self._error_subscribers: list[ErrorCallback] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._closed = False
        self._failure: str | None = None
        self._retry_at: float | None = None
        #: How many times the token was refreshed (re-minted, refreshed or signed in again).
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"IdentitySession({self.spec.name!r}, kind={self.kind}, {self.status!r})"

    # ------------------------------------------------------------------ what the identity is

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> IdentityKind:
        return self.spec.kind

    @property
    def settings(self) -> ClientSettings | None:
        """The settings :meth:`start` returned, with the current access token; None before."""
        if self._settings is None:
            return None
        if self._settings.access_token == self._token:
            return self._settings
        return dataclasses.replace(self._settings, access_token=self._token)

    @property
    def access_token(self) -> str | None:
        """The token the joins carry now (None: anon, or an opaque key)."""
        return self._token

    @property
    def claims(self) -> dict[str, Any]:
        """The current token's payload, decoded without verification ({} without a JWT)."""
        return dict(self._peeked.claims) if self._peeked is not None else {}

    @property
    def header(self) -> dict[str, Any]:
        """The current token's header (``alg``, ``kid``, ``typ``); {} without a JWT."""
        return dict(self._peeked.header) if self._peeked is not None else {}

    @property
    def expires_at(self) -> float | None:
        """When the current token expires (Unix seconds): Auth's ``expires_at`` for a
        signed-in session, else the token's ``exp``; None when it does not say."""
        if self._session_expires_at is not None:
            return self._session_expires_at
        exp = self._peeked.claims.get("exp") if self._peeked is not None else None
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            return None
        value = jwt.seconds(exp)
        return value if math.isfinite(value) else None

    def seconds_left(self, now: float | None = None) -> float | None:
        expires = self.expires_at
        return None if expires is None else expires - (time.time() if now is None else now)

    @property
    def status(self) -> str:
        """One line for people: ``signed in as a@b, expires in 4 min``, ``refresh failed:
        <reason>, retrying in 10 s``."""
        now = time.time()
        if self._closed:
            return "closed"
        if self._failure is not None:
            retry = ""
            if self._retry_at is not None:
                retry = f", retrying in {_duration(max(0.0, self._retry_at - now))}"
            return f"refresh failed: {self._failure}{retry}"
        if self._settings is None:
            return "not started"
        return f"{self._who()}{self._expiry_text(now)}"

    def _who(self) -> str:
        claims = self._peeked.claims if self._peeked is not None else {}
        role = claims.get("role")
        role_text = role if isinstance(role, str) and role else ""
        kind = self.kind
        if kind == "anon":
            return "the profile's API key, no user token"
        if kind == "key":
            return f"API key ({role_text or 'not a JWT'})"
        email = claims.get("email")
        user = email if isinstance(email, str) and email else claims.get("sub")
        user_text = user if isinstance(user, str) and user else ""
        if kind == "password":
            return f"signed in as {self.spec.email}"
        if kind == "minted":
            return f"minted {role_text or 'token'}" + (f" for {user_text}" if user_text else "")
        return f"pasted token ({role_text or 'no role'})" + (
            f" for {user_text}" if user_text else ""
        )

    def _expiry_text(self, now: float) -> str:
        if self.kind == "anon":
            return ""
        left = self.seconds_left(now)
        if left is None:
            return ""
        if left <= 0:
            return f", expired {_duration(-left)} ago"
        return f", expires in {_duration(left)}"

    # ------------------------------------------------------------------ subscriptions

    def on_token(self, callback: TokenCallback) -> Callable[[], None]:
        """Call ``callback(token)`` with each new access token (awaited when it returns an
        awaitable); returns the function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: _remove(self._subscribers, callback)

    def on_error(self, callback: ErrorCallback) -> Callable[[], None]:
        """Call ``callback(error, retry_in_s)`` when a refresh fails in :meth:`keep_fresh`;
        returns the function that unsubscribes."""
        self._error_subscribers.append(callback)
        return lambda: _remove(self._error_subscribers, callback)

    # ------------------------------------------------------------------ life

    async def start(self, base: ClientSettings) -> ClientSettings:
        """Sign in or mint, and return ``base`` with this identity's API key and access token.

        Raises :class:`~.auth.SignInFailed` with Auth's reason, :class:`IdentityError` when the
        identity cannot work on ``base`` (no Auth behind a ``/socket`` URL),
        :class:`~.errors.InvalidSettings` for a key or token the settings refuse."""
        if self._closed:
            raise IdentityError(f"identity {self.name!r} was closed")
        spec = self.spec
        self._base = base
        async with self._lock:
            if spec.key is not None:
                token = spec.key if jwt.looks_like_jwt(spec.key) else None
                self._settings = _replace(base, api_key=spec.key, access_token=token)
                self._set_token(token)
            elif spec.token is not None:
                self._settings = _replace(base, access_token=spec.token)
                self._set_token(spec.token)
                left = self.seconds_left()
                if self._refresh_token is not None and left is not None and left <= 0:
                    await self._refresh_locked()
            elif spec.email is not None and spec.password is not None:
                session = await sign_in_with_password(
                    self._auth_base(), base.api_key, spec.email, spec.password
                )
                self._settings = _replace(base, access_token=session.access_token)
                self._take_session(session)
            elif spec.mint is not None:
                token = self._mint(spec.mint)
                self._settings = _replace(base, access_token=token)
                self._set_token(token)
            else:
                self._settings = _replace(base, access_token=None)
                self._set_token(None)
        assert self._settings is not None
        settings = self.settings
        assert settings is not None
        return settings

    async def refresh_now(self) -> str:
        """Get a new token now and hand it to the subscribers; returns it.

        Signed-in identities and pasted tokens with a refresh token use
        ``grant_type=refresh_token`` (a signed-in one signs in again when Auth refuses the
        refresh token); minted ones sign a new token. Others raise :class:`IdentityError`."""
        if self._closed:
            raise IdentityError(f"identity {self.name!r} was closed")
        if self._settings is None:
            raise IdentityError(f"identity {self.name!r} is not started")
        if not self.spec.refreshable:
            raise IdentityError(self._why_not_refreshable())
        async with self._lock:
            token = await self._refresh_locked()
        self._wake.set()
        await self._notify(token)
        return token

    async def keep_fresh(self) -> None:
        """Refresh ahead of expiry until closed or cancelled (a fifth of the lifetime, at most
        60 s early), notifying the :meth:`on_token` subscribers; a failure is reported to the
        :meth:`on_error` subscribers and in :attr:`status`, and retried after 1, 2, 5, 10,
        30, 30… s. Returns at once for an identity that cannot refresh itself, or whose
        token does not expire."""
        if self._settings is None:
            raise IdentityError(f"identity {self.name!r} is not started")
        if not self.spec.refreshable:
            return
        attempt = 0
        while not self._closed:
            left = self.seconds_left()
            if left is None:
                return
            delay = refresh_delay(left) if self._failure is None else self._retry_delay(attempt)
            self._wake.clear()
            if delay > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), delay)
                    continue  # refreshed by refresh_now or closed: look again
                except TimeoutError:
                    pass
            if self._closed:
                return
            try:
                async with self._lock:
                    token = await self._refresh_locked()
            except InspectorError as exc:
                attempt += 1
                retry_in = self._retry_delay(attempt)
                self._failure = exc.message
                self._retry_at = time.time() + retry_in
                log.info("identity %r: refresh failed: %s", self.name, exc.message)
                for error_cb in list(self._error_subscribers):
                    error_cb(exc, retry_in)
                continue
            attempt = 0
            await self._notify(token)

    @staticmethod
    def _retry_delay(attempt: int) -> float:
        return RETRY_SCHEDULE[min(max(attempt, 1), len(RETRY_SCHEDULE)) - 1]

    async def close(self) -> None:
        """End :meth:`keep_fresh`, drop the subscribers and forget the tokens."""
        self._closed = True
        self._wake.set()
        self._subscribers.clear()
        self._error_subscribers.clear()
        self._token = None
        self._refresh_token = None
        self._peeked = None

    # ------------------------------------------------------------------ inside

    def _why_not_refreshable(self) -> str:
        kind = self.kind
        if kind == "token":
            return (
                f"identity {self.name!r} is a pasted access token without a refresh token: "
                "it cannot be refreshed; paste a new token (or add its refresh token)"
            )
        if kind == "key":
            return f"identity {self.name!r} is an API key: there is no user token to refresh"
        return f"identity {self.name!r} uses the profile's key: there is no user token to refresh"

    def _auth_base(self) -> str:
        base = self._base
        auth = base.endpoints().auth_base if base is not None else None
        if auth is None:
            raise IdentityError(
                f"identity {self.name!r} signs in at the project's Auth (/auth/v1 beside "
                "/realtime/v1): use a project URL, not a Realtime server's /socket URL"
            )
        return auth

    def _api_key(self) -> str:
        assert self._base is not None
        return self._base.api_key

    def _mint(self, mint: MintSpec) -> str:
        claims = mint_claims(
            role=mint.role,
            now=time.time(),
            lifetime_s=mint.lifetime_s,
            sub=mint.sub,
            email=mint.email,
            extra=mint.claims,
            session_id=self._session_id,
        )
        return jwt.sign(claims, mint.secret)

    async def _refresh_locked(self) -> str:
        """A new token (the caller holds the lock); state updated, subscribers not told."""
        spec = self.spec
        if spec.mint is not None:
            token = self._mint(spec.mint)
            self._set_token(token)
        else:
            session = await self._refreshed_session()
            self._take_session(session)
            token = session.access_token
        self._failure = None
        self._retry_at = None
        self.refreshes += 1
        return token

    async def _refreshed_session(self) -> AuthSession:
        spec = self.spec
        auth = self._auth_base()
        if self._refresh_token is not None:
            try:
                return await refresh_session(auth, self._api_key(), self._refresh_token)
            except SignInFailed as exc:
                # A retired or revoked refresh token: a password identity signs in again.
                if spec.password is None or spec.email is None or not 400 <= exc.status < 500:
                    raise
                log.info("identity %r: refresh token refused, signing in again", self.name)
        if spec.password is None or spec.email is None:
            raise IdentityError(self._why_not_refreshable())
        return await sign_in_with_password(auth, self._api_key(), spec.email, spec.password)

    def _take_session(self, session: AuthSession) -> None:
        self._refresh_token = session.refresh_token
        self._set_token(session.access_token, session.expires_at)

    def _set_token(self, token: str | None, session_expires_at: float | None = None) -> None:
        self._token = token
        self._session_expires_at = session_expires_at
        self._peeked = jwt.peek(token) if token is not None else None

    async def _notify(self, token: str) -> None:
        """Each subscriber in turn; one that fails with an :class:`InspectorError` (a client
        that closed) is logged and does not keep the token from the others."""
        for callback in list(self._subscribers):
            try:
                result = callback(token)
                if inspect.isawaitable(result):
                    await result
            except InspectorError as exc:
                log.warning("identity %r: a new token was not taken: %s", self.name, exc.message)


def _replace(base: ClientSettings, **changes: Any) -> ClientSettings:
    return dataclasses.replace(base, **changes)


def _remove(items: list[Any], item: Any) -> None:
    if item in items:
        items.remove(item)


def _duration(seconds: float) -> str:
    """``35 s``, ``4 min``, ``2 h 5 min``, ``3 d``: short, for a status line."""
    if not seconds < 100 * 365 * 86400:
        return "over 100 years"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    return f"{s // 86400} d"
