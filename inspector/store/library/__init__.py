"""The message library: saved messages with variables, one JSON file per library."""

from inspector.store.library.expand import PreparedSend, claims_of, prepare_send
from inspector.store.library.library import (
    ENV_VAR,
    LIBRARY_VERSION,
    Library,
    LibraryError,
    SavedMessage,
    default_library_path,
    load_library,
)

__all__ = [
    "ENV_VAR",
    "LIBRARY_VERSION",
    "Library",
    "LibraryError",
    "PreparedSend",
    "SavedMessage",
    "claims_of",
    "default_library_path",
    "load_library",
    "prepare_send",
]
