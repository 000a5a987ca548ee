"""Frozen entry point for every executable in the bundle: the same ``inspector.cli.main`` as the
``realtime-inspector`` console script, so the GUI (no subcommand) and the CLI share one binary."""

import sys

from inspector.cli import main

if __name__ == "__main__":
    sys.exit(main())
