"""Sign-in against the project's Auth (GoTrue): a user's access token from an email and password.

``POST {auth}/token?grant_type=password`` with ``{"email", "password"}`` and
``grant_type=refresh_token`` with ``{"refresh_token"}``, the ``apikey`` header carrying the
project's anon/publishable key, as supabase-js does. The answer is a session: ``access_token``
(the JWT the Realtime joins carry), ``refresh_token`` (single use: each refresh returns the next
one), ``expires_in``/``expires_at``. Errors come back as :class:`SignInFailed` with the server's
words (``Invalid login credentials``) and its HTTP status. Passwords and tokens are never put in
a message, a log line or ``repr``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from inspector.protocol.invisible import printable

from .errors import InspectorError
from .rest import shared_ssl_context

__all__ = ["AuthSession", "SignInFailed", "refresh_session", "sign_in_with_password"]


class SignInFailed(InspectorError):
    """Auth refused (``status`` the HTTP status, 0 when it could not be reached)."""

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class AuthSession:
    """A signed-in user's tokens; ``expires_at`` in Unix seconds."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    user_id: str = ""
    email: str = ""

    def seconds_left(self, now: float | None = None) -> float:
        return self.expires_at - (time.time() if now is None else now)


async def sign_in_with_password(
    auth_base: str, api_key: str, email: str, password: str, *, timeout: float = 10.0
) -> AuthSession:
    """The session of ``email``; :class:`SignInFailed` with the server's reason otherwise."""
    return await _token(
        auth_base, api_key, "password", {"email": email, "password": password}, timeout
    )


async def refresh_session(
    auth_base: str, api_key: str, refresh_token: str, *, timeout: float = 10.0
) -> AuthSession:
    """The next session from a refresh token (which the server then retires)."""
    return await _token(
        auth_base, api_key, "refresh_token", {"refresh_token": refresh_token}, timeout
    )


async def _token(
    auth_base: str, api_key: str, grant: str, body: dict[str, str], timeout: float
) -> AuthSession:
    url = f"{auth_base.rstrip('/')}/token"
    headers = {"apikey": api_key, "Authorization": f"Bearer {api_key}"}
    try:
        async with httpx.AsyncClient(verify=shared_ssl_context(), timeout=timeout) as http:
            response = await http.post(
                url, params={"grant_type": grant}, json=body, headers=headers
            )
    except httpx.TimeoutException:
        raise SignInFailed(f"Auth did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        reason = printable(str(exc)) or type(exc).__name__
        raise SignInFailed(f"Auth cannot be reached: {reason}") from exc
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    if response.status_code != 200 or not isinstance(data, dict):
        raise _failure(response.status_code, data)
    access = data.get("access_token")
    refresh = data.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str) or not access:
        raise SignInFailed("Auth answered without an access token", response.status_code)
    expires_at = data.get("expires_at")
    if not isinstance(expires_at, int | float) or isinstance(expires_at, bool):
        expires_in = data.get("expires_in")
        lifetime = expires_in if isinstance(expires_in, int | float) else 3600
        expires_at = time.time() + float(lifetime)
    raw_user = data.get("user")
    user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    return AuthSession(
        access,
        refresh,
        float(expires_at),
        str(user.get("id") or ""),
        str(user.get("email") or ""),
    )


def _failure(status: int, data: Any) -> SignInFailed:
    """GoTrue's error bodies: ``{"code", "error_code", "msg"}`` or ``{"code", "message"}``
    (API version 2024-01-01), older ``{"error", "error_description"}``."""
    message = ""
    code = ""
    if isinstance(data, dict):
        for key in ("msg", "message", "error_description", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                message = value
                break
        raw_code = data.get("error_code", data.get("code"))
        code = raw_code if isinstance(raw_code, str) else ""
    text = printable(message) if message else f"HTTP {status}"
    return SignInFailed(f"sign-in refused (HTTP {status}): {text}", status, code)
