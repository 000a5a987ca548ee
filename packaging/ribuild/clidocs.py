"""The man page and the shell completions, generated from the CLI's argparse parser.

``build(bundle, meta)`` writes into ``<bundle>/share/``:

- ``man/man1/realtime-inspector.1`` with argparse-manpage (every subcommand and flag, from
  ``inspector.cli.build_parser``), so the page never drifts from ``--help``;
- ``bash-completion/completions/realtime-inspector``, ``zsh/vendor-completions/_realtime-inspector``
  and ``fish/vendor_completions.d/realtime-inspector.fish`` with shtab.

Both tools run in a subprocess with the Python that builds (the venv's, where they are dev
dependencies). The ``.deb`` installs these files under ``/usr/share`` (``ribuild/deb.py``); the
``.tar.gz`` carries them in the bundle's ``share/`` for people who install by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ribuild.meta import ROOT, AppMeta

PARSER = "inspector.cli.build_parser"

#: shell -> (folder under share/, file name) as the shells' vendor locations name them.
COMPLETIONS = {
    "bash": ("bash-completion/completions", "{name}"),
    "zsh": ("zsh/vendor-completions", "_{name}"),
    "fish": ("fish/vendor_completions.d", "{name}.fish"),
}


def man_page_path(share: Path, meta: AppMeta) -> Path:
    return share / "man" / "man1" / f"{meta.dist_name}.1"


def completion_paths(share: Path, meta: AppMeta) -> dict[str, Path]:
    return {
        shell: share / folder / pattern.format(name=meta.dist_name)
        for shell, (folder, pattern) in COMPLETIONS.items()
    }


def escape_text_lines(roff: str) -> str:
    """Text that wrapped so a line starts with ``.`` or ``'`` (a help text's ``...}``) is read
    by roff as a request (groff: "macro '..}' not defined"; lintian warns). argparse-manpage
    does not escape it; ``\\&`` (a zero-width character) in front makes it text. Requests
    (``.TH``, ``.TP``, ``.B`` …: a dot and a letter), comments (``.\\"``) and ``.`` stay."""
    lines = []
    for line in roff.split("\n"):
        if line.startswith("'") or (
            line.startswith(".") and line != "." and not (line[1].isalpha() or line[1] == "\\")
        ):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def build(bundle: Path, meta: AppMeta) -> Path:
    """Generate the man page and completions into ``bundle/share``; returns that folder."""
    share = bundle / "share"
    man = man_page_path(share, meta)
    man.parent.mkdir(parents=True, exist_ok=True)
    module, function = PARSER.rsplit(".", 1)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from argparse_manpage.cli import main; sys.exit(main())",
            "--module",
            module,
            "--function",
            function,
            "--prog",
            meta.dist_name,
            "--project-name",
            meta.app_name,
            "--version",
            meta.version,
            "--description",
            meta.summary[0].lower() + meta.summary[1:].rstrip("."),
            "--author",
            meta.authors,
            "--url",
            meta.homepage,
            "--manual-section",
            "1",
            "--manual-title",
            f"{meta.app_name} manual",
            "--output",
            str(man),
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    man.write_text(escape_text_lines(man.read_text(encoding="utf-8")), encoding="utf-8")
    for shell, path in completion_paths(share, meta).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "shtab", f"--shell={shell}", "--prog", meta.dist_name, PARSER],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        path.write_text(result.stdout, encoding="utf-8")
    return share
