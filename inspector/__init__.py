"""Realtime Inspector: a desktop inspector, CLI and local server for Supabase Realtime Broadcast."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("realtime-inspector")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

APP_NAME = "Realtime Inspector"
APP_ID = "io.github.realtime_inspector.RealtimeInspector"
#: The project's home and issue tracker (the GitHub project the app id names); pyproject's
#: [project.urls], the AppStream metainfo and Help -> About say the same (a packaging test checks).
HOMEPAGE = "https://github.com/realtime-inspector/realtime-inspector"
ISSUES_URL = "https://github.com/realtime-inspector/realtime-inspector/issues"
