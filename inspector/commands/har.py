"""``realtime-inspector har FILE``: the Realtime events of a browser's HAR capture as NDJSON.

Chrome and Firefox save websocket frames in a HAR file (``_webSocketMessages``); in the browser
the v2 binary frames are opaque. This command finds the Realtime websocket entries, decodes
every frame with the protocol core (:mod:`inspector.store.transfer.har`) and prints one line per
event in ``listen``'s format (``time``, ``channel``, ``event``, ``payload``, ``meta``,
``kind``; binary payloads as ``{"$binary": "<base64>"}`` with ``"binary": true``), plus
``direction`` (``in``: the browser received it, ``out``: it sent it). Times are the
capture's. The output imports back (File -> Import NDJSON, ``replay``).

Secrets are redacted: the URL's key and token parameters, ``access_token`` in joins, JWT-shaped
strings and ``sb_`` keys (``--show-secrets`` does not apply: a capture is shared material).
A summary goes to stderr. Exit codes: 0 events printed, 1 the file holds no Realtime websocket
or cannot be read, 2 bad arguments.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from inspector.protocol.frames import typed_channel_name
from inspector.store.transfer.har import read_har

from .client_args import EXIT_FAILURE, EXIT_OK, Output

HELP = "print the Realtime events of a browser's HAR capture as NDJSON (like listen)"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "har",
        help=HELP,
        description=HELP + ". Frames of every Realtime websocket in the file are decoded "
        "(v1, v2 text and binary); secrets are redacted.",
        epilog="exit codes: 0 events printed; 1 no Realtime websocket in the file, or the "
        "file cannot be read; 2 invalid arguments.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="a .har file saved by a browser")
    p.add_argument(
        "--channel",
        metavar="NAME",
        help="only this channel's events (the name without realtime:)",
    )
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    out = Output("har")
    channel = typed_channel_name(args.channel)[0] if args.channel else None
    result = read_har(args.file, channel=channel)
    if result.error is not None:
        out.error(result.error)
        return EXIT_FAILURE
    for event in result.events:
        out.line(event.line())
        if out.buffered >= 500:
            out.flush()
            if out.closed:
                return EXIT_OK
    out.flush()
    summary = result.summary()
    if channel is not None and not result.events:
        summary = f"no events of channel {channel} · " + summary
    out.note(summary)
    return EXIT_OK
