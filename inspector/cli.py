"""Command line entry point: ``realtime-inspector [--demo | --self-test] [SUBCOMMAND ...]``.

Without a subcommand it opens the desktop window. Subcommands run headless and never import Qt
(tests/test_cli_client.py proves it): each lives in ``inspector/commands/<name>.py`` and exposes
``add_parser(subparsers)``; the parser's ``run`` default is called with the parsed namespace.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from inspector import APP_NAME, __version__

#: Headless subcommands, in the order ``--help`` lists them.
SUBCOMMANDS = ("serve", "listen", "send", "replay", "check", "token", "load")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realtime-inspector",
        description=f"{APP_NAME}: inspect, send to and serve Supabase Realtime Broadcast. "
        "Without a subcommand the desktop window opens.",
    )
    parser.add_argument("--version", action="version", version=f"realtime-inspector {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the window connected to an embedded local server with demo traffic",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="run the window headless against the demo server, check it works, exit 0 or 1",
    )
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"inspector.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"inspector.commands.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is not None:
        return int(args.run(args))
    # The GUI path: the only place Qt is imported.
    try:
        from inspector import app
    except ImportError as exc:  # pragma: no cover - depends on the installation
        print(f"realtime-inspector: the desktop window is not available: {exc}", file=sys.stderr)
        return 2
    return int(app.run(demo=args.demo, self_test=args.self_test))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
