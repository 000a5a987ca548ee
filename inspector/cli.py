"""Command line entry point: ``realtime-inspector [--demo | --self-test] [SUBCOMMAND ...]``.

Without a subcommand it opens the desktop window. Subcommands run headless and never import Qt
(tests/test_cli_client.py proves it): each lives in ``inspector/commands/<name>.py`` and exposes
``add_parser(subparsers)``; the parser's ``run`` default is called with the parsed namespace.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from inspector import APP_NAME, __version__

DEBUG_HELP = "log at DEBUG level: more detail on stderr and in the log file (secrets stay redacted)"

#: Headless subcommands, in the order ``--help`` lists them.
SUBCOMMANDS = ("serve", "listen", "send", "replay", "check", "token", "har", "authz", "load")


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
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"inspector.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"inspector.commands.{name}":
                raise
            continue
        module.add_parser(sub)
    for subparser in sub.choices.values():  # --debug on every subcommand, after its options
        _add_debug(subparser)
    return parser


def _add_debug(parser: argparse.ArgumentParser) -> None:
    """``--debug`` on ``parser`` and on every subcommand below it (``token mint --debug``)."""
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for nested in action.choices.values():
                _add_debug(nested)


def _setup_logging(command: str, debug: bool) -> None:
    """The CLI's log file (``cli.log`` in the platform's log folder, ``$RI_LOG_DIR``) at INFO,
    DEBUG with ``--debug``; the subcommand adds its stderr handler (client_args, serve)."""
    from inspector.client import logfile

    level = logging.DEBUG if debug else logging.INFO
    logfile.install(logfile.default_log_dir(), "cli.log", level)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.debug = bool(getattr(args, "debug", False))
    if args.command is not None:
        _setup_logging(args.command, args.debug)
        return int(args.run(args))
    # The GUI path: the only place Qt is imported.
    try:
        from inspector import app
    except ImportError as exc:  # pragma: no cover - depends on the installation
        print(f"realtime-inspector: the desktop window is not available: {exc}", file=sys.stderr)
        return 2
    return int(app.run(demo=args.demo, self_test=args.self_test, debug=args.debug))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
