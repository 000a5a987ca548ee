"""``realtime-inspector authz``: the authorization matrix from the command line (issue #13 §4).

Measures identities x channels x capabilities with real probes (``inspector.client.authz``),
prints the matrix (text, or one JSON object with ``--json``), compares it with ``--expect FILE``
and writes ``--junit``, ``--markdown`` and ``--save-expected`` files. Identities come from
``--identities FILE`` and/or a profile saved in the window (``--profile``, the resolver of
``saved_profiles.py``); docs/client.md, "Authorization matrix".

Exit codes: 0 the matrix matches the expectation (or, without one, the run completed); 1 it
does not; 2 usage errors (bad arguments, an unreadable or invalid file, an unknown identity).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from inspector.client import ClientSettings, InspectorError
from inspector.client.authz import (
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT,
    AuthzEngine,
    ClientObserver,
    ProbeCell,
    ProbeChannel,
    ProbeIdentity,
)
from inspector.client.authz.identities_file import IdentitiesFileError, load_identities
from inspector.client.identity import IdentitySession, IdentitySpec
from inspector.protocol.invisible import reveal
from inspector.protocol.redact import redact_text
from inspector.store.authz import (
    Cell,
    Difference,
    Expectation,
    ExpectationError,
    Matrix,
    Verdict,
    compare,
    safe_text,
    to_json_dict,
    to_junit,
    to_markdown,
)

from .client_args import (
    DEFAULT_VSN,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Output,
    UsageError,
    channel_names,
    name_arg,
    run_main,
    seconds_arg,
    settings_from,
)
from .saved_profiles import saved_connection

HELP = "measure who may join, receive, send and use presence on which channels"
EXIT_HELP = (
    "exit codes: 0 the matrix matches --expect (or, without it, the run completed); 1 it does "
    "not; 2 usage errors (bad arguments or files, an unknown identity). --url and --key default "
    "to $SUPABASE_URL and $SUPABASE_ANON_KEY."
)
_SHORT = {Verdict.ALLOWED: "allowed", Verdict.DENIED: "denied", Verdict.UNKNOWN: "unknown"}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "authz", help=HELP, description=HELP + ".", epilog=EXIT_HELP
    )
    p.add_argument("--url", help="project URL [$SUPABASE_URL]")
    p.add_argument("--key", help="API key (anon/publishable) [$SUPABASE_ANON_KEY, $SUPABASE_KEY]")
    p.add_argument(
        "--vsn",
        default=DEFAULT_VSN,
        choices=["1", "2", "1.0.0", "2.0.0"],
        help="protocol version (default 2, or the saved profile's)",
    )
    p.add_argument(
        "--identities",
        metavar="FILE",
        help="YAML file: identity name -> {key | token | refresh_token | email + password | "
        "mint}; values may use {{env.NAME}}",
    )
    p.add_argument(
        "--identity",
        action="append",
        default=[],
        metavar="NAME",
        help="an identity to measure (repeatable): from --identities FILE, else of the saved "
        "profile (--profile); default: every identity of --identities",
    )
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="take the URL, key and identities from a profile saved in the window (default: "
        "the profile used last) [settings folder: $RI_CONFIG_DIR, else the window's]",
    )
    p.add_argument(
        "--channel",
        action=_Ordered,
        dest="channels",
        default=[],
        type=name_arg("a channel name"),
        metavar="NAME",
        help="a channel to measure (repeatable); private with --private",
    )
    p.add_argument(
        "--private", action="store_true", help="the --channel channels are private (RLS, §9.3)"
    )
    p.add_argument(
        "--private-channel",
        action=_Ordered,
        dest="channels",
        default=[],
        type=name_arg("a channel name"),
        metavar="NAME",
        help="a private channel, next to public --channel ones (repeatable)",
    )
    p.add_argument(
        "--observer",
        metavar="NAME",
        help="an identity (service_role) that watches every channel; without it the identities "
        "observe each other",
    )
    p.add_argument("--expect", metavar="FILE", help="the expected matrix (YAML or JSON)")
    p.add_argument(
        "--save-expected",
        metavar="FILE",
        help="save the measured matrix as an expectation (YAML, or JSON for .json)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--junit", metavar="PATH", help="JUnit XML, one testcase per cell")
    p.add_argument("--markdown", metavar="PATH", help="the matrix as a Markdown file")
    p.add_argument(
        "--wait",
        type=seconds_arg,
        default=DEFAULT_WAIT,
        metavar="S",
        help=f"seconds to wait for probes before calling silence a denial (default {DEFAULT_WAIT:g})",
    )
    p.add_argument(
        "--timeout",
        type=seconds_arg,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"the most the whole run may take (default {DEFAULT_TIMEOUT:g})",
    )
    p.set_defaults(run=run, token=None)
    return p


def run(args: argparse.Namespace) -> int:
    return run_main("authz", main, args)


class _Ordered(argparse.Action):
    """``--channel`` and ``--private-channel`` into one list, in command-line order."""

    def __call__(
        self, parser: Any, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        items = list(getattr(namespace, self.dest) or [])
        items.append((values, option == "--private-channel"))
        setattr(namespace, self.dest, items)


def _channels(args: argparse.Namespace, out: Output) -> list[ProbeChannel]:
    chans = [
        ProbeChannel(name, private or args.private)
        for typed, private in args.channels
        for name in channel_names([typed], out)
    ]
    if not chans:
        raise UsageError("give at least one --channel (or --private-channel)")
    return list(dict.fromkeys(chans))


def _identities(args: argparse.Namespace) -> dict[str, IdentitySpec]:
    if not args.identities:
        return {}
    try:
        # only the identities asked for (and the observer) need their variables set
        asked = [*args.identity, *([args.observer] if args.observer else [])]
        return load_identities(Path(args.identities), only=asked if args.identity else None)
    except IdentitiesFileError as exc:
        raise UsageError(exc.message) from None


def _resolve(
    args: argparse.Namespace, out: Output
) -> tuple[ClientSettings, list[str], dict[str, IdentitySpec]]:
    """The base settings, the identities to measure and every spec needed (observer too).

    Names are looked up in ``--identities FILE`` first, then in the saved profile (``--profile``,
    else the profile used last in the window) unless only a file was given."""
    file_ids = _identities(args)
    names = list(dict.fromkeys(args.identity)) or list(file_ids)
    if not names:
        raise UsageError(
            "give the identities: --identity NAME (of a saved profile, --profile) or "
            "--identities FILE (name -> key, token, email + password or mint; docs/client.md)"
        )
    wanted = list(dict.fromkeys([*names, *([args.observer] if args.observer else [])]))
    specs = {n: file_ids[n] for n in wanted if n in file_ids}
    saved = [n for n in wanted if n not in file_ids]
    if saved and args.identities and not args.profile:
        known = ", ".join(file_ids) or "none"
        raise UsageError(
            f"unknown identity {saved[0]!r} (in {args.identities}: {known}; add --profile NAME "
            "to take the others from a saved profile)"
        )
    if saved:
        base: ClientSettings | None = None
        for name in saved:
            one = argparse.Namespace(**{**vars(args), "identity": name, "email": None})
            base, spec, hidden = saved_connection(one)
            out.hide(*hidden)
            assert spec is not None
            specs[name] = spec
        assert base is not None
    else:
        base = settings_from(args)
    out.hide(base.api_key, base.access_token)
    for spec in specs.values():
        out.hide(spec.key, spec.token, spec.refresh_token, spec.password)
        if spec.mint is not None:
            out.hide(spec.mint.secret)
    return base, names, specs


def _writable(path: Path, option: str) -> None:
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory; give a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: cannot create its folder: {exc.strerror or exc}"
        ) from None


async def main(args: argparse.Namespace, out: Output) -> int:
    base, names, specs = _resolve(args, out)
    channels = _channels(args, out)
    expectation: Expectation | None = None
    if args.expect:
        try:
            expectation = Expectation.load(Path(args.expect))
        except ExpectationError as exc:
            raise UsageError(str(exc)) from None
    for option in ("junit", "markdown", "save_expected"):
        if getattr(args, option):
            _writable(Path(getattr(args, option)), "--" + option.replace("_", "-"))
    sessions = {name: IdentitySession(spec) for name, spec in specs.items()}
    try:
        return await _measure(args, out, base, names, sessions, channels, expectation)
    finally:
        for session in sessions.values():
            await session.close()


async def _measure(
    args: argparse.Namespace,
    out: Output,
    base: ClientSettings,
    names: list[str],
    sessions: dict[str, IdentitySession],
    channels: list[ProbeChannel],
    expectation: Expectation | None,
) -> int:
    settings: dict[str, ClientSettings] = {}
    for name, session in sessions.items():
        try:
            settings[name] = await session.start(base)
        except InspectorError as exc:
            out.error(f"identity {name}: {exc.message}")
            return EXIT_FAILURE
        out.hide(settings[name].api_key, settings[name].access_token)

    observer = ClientObserver(args.observer, settings[args.observer]) if args.observer else None
    engine = AuthzEngine(
        [ProbeIdentity(n, settings[n]) for n in names],
        channels,
        observer=observer,
        wait=args.wait,
        timeout=args.timeout,
    )
    try:
        cells = await engine.run()
    finally:
        if observer is not None:
            await observer.close()
    matrix = matrix_from(cells, args.observer)
    differences = compare(expectation.cells(), matrix) if expectation else None

    if args.json:
        out.line(to_json_dict(matrix, differences))
    else:
        _print_text(out, matrix, differences or [])
    ok = _write_files(args, out, matrix, differences, expectation)
    if not ok:
        return EXIT_USAGE
    if differences:
        return EXIT_FAILURE
    return EXIT_OK


def matrix_from(cells: list[ProbeCell], observer: str | None) -> Matrix:
    """The engine's cells as the store's matrix."""
    return Matrix.from_cells((Cell.of(c) for c in cells), observer)


def _text(out: Output, line: str) -> None:
    out.flush()
    try:
        sys.stdout.write(reveal(redact_text(line), multiline=False) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        out.closed = True


def _print_text(out: Output, matrix: Matrix, differences: list[Difference]) -> None:
    diff = {d.key for d in differences}
    width = max(len(i) for i in matrix.identities)
    head = " ".join(f"{c.value:>15}" for c in matrix.capabilities)
    for channel in matrix.channels:
        _text(out, f"{channel.label}")
        _text(out, f"  {'':{width}} {head}")
        for identity in matrix.identities:
            row = []
            for cap in matrix.capabilities:
                cell = matrix.get(identity, channel, cap)
                word = _SHORT[cell.verdict] if cell else "-"
                if (identity, channel, cap) in diff:
                    word = "!" + word
                row.append(f"{word:>15}")
            _text(out, f"  {identity:{width}} {' '.join(row)}")
    for d in differences:
        _text(out, f"DIFF {safe_text(d.text())}")
    counts = matrix.counts()
    summary = (
        f"{len(matrix)} cells: {counts['allowed']} allowed, {counts['denied']} denied, "
        f"{counts['unknown']} unknown"
    )
    if differences:
        summary += f"; {len(differences)} differ from the expectation (marked !)"
    _text(out, summary)


def _write_files(
    args: argparse.Namespace,
    out: Output,
    matrix: Matrix,
    differences: list[Difference] | None,
    expectation: Expectation | None,
) -> bool:
    ok = True
    writes: list[tuple[str, str, str]] = []
    if args.junit:
        writes.append(
            (
                "--junit",
                args.junit,
                to_junit(
                    matrix,
                    differences,
                    expected=expectation.cells() if expectation else None,
                ),
            )
        )
    if args.markdown:
        writes.append(("--markdown", args.markdown, to_markdown(matrix, differences or [])))
    for option, path, text in writes:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            out.error(f"{option} {path}: cannot write: {exc.strerror or exc}")
            ok = False
    if args.save_expected:
        path = Path(args.save_expected)
        previous = expectation if args.expect and Path(args.expect) == path else None
        try:
            Expectation.from_matrix(matrix, previous).save(path)
        except OSError as exc:
            out.error(f"--save-expected {path}: cannot write: {exc.strerror or exc}")
            ok = False
    return ok
