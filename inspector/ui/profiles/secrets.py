"""The window's name for :mod:`inspector.keychain` (the secret store moved there so that the CLI
may read identities' secrets too, issue #13 §1)."""

from inspector.keychain import (
    ACCESS_TOKEN,
    API_KEY,
    KINDS,
    PLAINTEXT_FILE,
    SERVICE,
    SecretStore,
    keychain_backend,
)

__all__ = [
    "ACCESS_TOKEN",
    "API_KEY",
    "KINDS",
    "PLAINTEXT_FILE",
    "SERVICE",
    "SecretStore",
    "keychain_backend",
]
