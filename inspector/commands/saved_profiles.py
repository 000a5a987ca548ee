"""``listen``/``send --profile NAME [--identity NAME]``: connect as a profile or identity saved
in the window (issue #13 §1, CLI).

The profiles come from the window's settings file (QSettings INI; only ``PySide6.QtCore`` is
imported, and only when ``--profile``/``--identity`` is given) and their keys, tokens and
identity secrets from the keychain, or from the plain-text file the window's opt-in writes
when there is no keychain. The settings folder is the window's: ``$RI_CONFIG_DIR`` when set,
else Qt's user configuration folder (``$XDG_CONFIG_HOME/RealtimeInspector`` on Linux).
Without ``--profile``, the profile used last in the window is taken. Unknown names are refused
with the names that exist; a secret the keychain does not hold is named with where it was
looked for. Exit code 2 for all of these.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from inspector.client import ClientSettings, InspectorError, InvalidSettings
from inspector.client.identity import IdentitySession, IdentitySpec

from .client_args import Output, UsageError, given, settings_from, signed_in

__all__ = ["add_profile_options", "connection", "saved_connection", "uses_saved_profile"]


class _Named(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def _find(items: Iterable[N], wanted: str) -> N | None:
    """By id, then exact name, then the one name equal ignoring case."""
    items = list(items)
    for attr in ("id", "name"):
        for item in items:
            if getattr(item, attr) == wanted:
                return item
    folded = [item for item in items if item.name.casefold() == wanted.casefold()]
    return folded[0] if len(folded) == 1 else None


async def connection(
    args: argparse.Namespace, out: Output, **extra: Any
) -> tuple[ClientSettings, IdentitySession | None]:
    """How ``listen``/``send`` connect: a saved profile or identity (started: signed in or
    minted), else the flags and the environment (with ``--email``, signed in). The secrets
    are hidden from the output before anything is printed. UsageError (exit 2) for bad
    arguments or saved settings; an InspectorError (exit 1) when Auth refuses."""
    if not uses_saved_profile(args):
        settings = settings_from(args, **extra)
        out.hide(settings.api_key, settings.access_token)
        settings, session = await signed_in(args, settings)
        out.hide(settings.access_token)
        return settings, session
    base, spec, hidden = saved_connection(args, **extra)
    out.hide(*hidden)
    if spec is None:
        return base, None
    session = IdentitySession(spec)
    try:
        settings = await session.start(base)
    except InspectorError as exc:  # name the identity: "bob: sign-in refused (HTTP 400): …"
        exc.message = f"identity {spec.name!r}: {exc.message}"
        raise
    out.hide(settings.api_key, settings.access_token)
    return settings, session


def add_profile_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="connect with a profile saved in the window (its URL, key and token from the "
        "keychain); default with --identity: the profile used last [settings folder: "
        "$RI_CONFIG_DIR, else the window's]",
    )
    p.add_argument(
        "--identity",
        metavar="NAME",
        help="connect as this identity of the profile (a key, a pasted token, an email + "
        "password sign-in or a minted token, saved in the window's Profiles dialog)",
    )


def uses_saved_profile(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "profile", None) or getattr(args, "identity", None))


def _names(items: Any) -> str:
    names = [repr(item.name) for item in items]
    return ", ".join(names) if names else "none"


def saved_connection(
    args: argparse.Namespace, **extra: Any
) -> tuple[ClientSettings, IdentitySpec | None, list[str]]:
    """The saved profile's settings, the identity's spec (None: the profile itself) and the
    secrets read (for the output to hide); UsageError with the names that exist otherwise."""
    for flag in ("url", "key", "token", "email"):
        if getattr(args, flag, None):
            raise UsageError(
                f"--{flag} and --profile/--identity both say how to connect: pass one of them"
            )
    from inspector.keychain import ACCESS_TOKEN, API_KEY, MissingSecret, SecretStore, identity_spec
    from inspector.ui.settings import AppSettings

    app_settings = AppSettings()
    where = app_settings.qs.fileName()
    book = app_settings.profiles()
    if not len(book):
        raise UsageError(
            f"no saved profiles in {where}: save one in the window's Profiles dialog "
            "(or point $RI_CONFIG_DIR at the window's settings folder)"
        )
    wanted = args.profile
    if wanted is None:
        profile = book.get(app_settings.last_profile_id())
        if profile is None:
            raise UsageError(
                f"--identity needs --profile: no profile was used last; saved profiles: "
                f"{_names(book)}"
            )
    else:
        profile = _find(book, wanted)
        if profile is None:
            raise UsageError(f"no saved profile named {wanted!r}; saved profiles: {_names(book)}")
    secrets = SecretStore(
        app_settings.directory(), plaintext_opt_in=app_settings.plaintext_opt_in()
    )
    key = secrets.get(profile.id, API_KEY)
    if not key:
        raise UsageError(
            f"profile {profile.name!r} has no API key in {secrets.describe_location()}: "
            "enter it again in the window's Profiles dialog"
        )
    token = secrets.get(profile.id, ACCESS_TOKEN) or None
    spec = None
    if args.identity:
        identity = _find(profile.identities, args.identity)
        if identity is None:
            raise UsageError(
                f"profile {profile.name!r} has no identity named {args.identity!r}; "
                f"its identities: {_names(profile.identities)}"
            )
        try:
            spec = identity_spec(secrets, profile, identity)
        except (MissingSecret, InvalidSettings) as exc:
            raise UsageError(exc.message) from exc
    try:
        settings = ClientSettings(
            profile.url,
            key,
            vsn=args.vsn if given(args.vsn) else profile.vsn,
            access_token=token,
            **extra,
        )
    except InvalidSettings as exc:
        raise UsageError(f"profile {profile.name!r}: {exc.message}") from exc
    hidden = [key, token or ""]
    if spec is not None:
        hidden += [spec.key or "", spec.token or "", spec.refresh_token or ""]
        hidden += [spec.password or "", spec.mint.secret if spec.mint else ""]
    return settings, spec, [s for s in hidden if s]
