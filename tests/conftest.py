"""Suite-wide settings: offscreen Qt, and no test ever touches the real user's settings or keychain."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
