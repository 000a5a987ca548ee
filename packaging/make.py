"""Build Realtime Inspector's artifacts, one command each (run with the project's venv Python):

    .venv/bin/python packaging/make.py icons     # PNG/.ico/.icns from resources/icons/app.svg
    .venv/bin/python packaging/make.py bundle    # PyInstaller one-folder bundle
    .venv/bin/python packaging/make.py tarball   # the bundle as .tar.gz
    .venv/bin/python packaging/make.py deb       # the .deb (bundle in /opt, launcher, desktop files)
    .venv/bin/python packaging/make.py wheel     # wheel and sdist (python -m build)
    .venv/bin/python packaging/make.py all       # every one of the above

Each command builds what it needs first (``deb`` renders the icons and builds the bundle), unless
``--reuse`` says to take an existing bundle and icons from the output folder. Everything goes
under ``packaging/out/`` (gitignored) or ``--out DIR``. packaging/README.md says more.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ribuild.meta import DEFAULT_OUT, ICON_MASTER, AppMeta, read_meta


def _log(message: str) -> None:
    sys.stderr.write(f"[make] {message}\n")
    sys.stderr.flush()


def _size(path: Path) -> str:
    from ribuild.bundle import tree_size

    size = tree_size(path) if path.is_dir() else path.stat().st_size
    return f"{size / 1_000_000:.1f} MB"


class Builder:
    """Builds artifacts into one output folder, each at most once per run."""

    def __init__(self, out: Path, meta: AppMeta, reuse: bool, compression: str) -> None:
        self.out, self.meta, self.reuse, self.compression = out, meta, reuse, compression
        self.made: dict[str, Path] = {}

    def _timed(self, what: str, step: Callable[[], Path]) -> Path:
        if what not in self.made:
            started = time.monotonic()
            _log(f"building {what} ...")
            self.made[what] = step()
            _log(
                f"{what}: {self.made[what]} ({_size(self.made[what])}, "
                f"{time.monotonic() - started:.1f} s)"
            )
        return self.made[what]

    def icons(self) -> Path:
        from ribuild.icons import build_icons

        existing = self.out / "icons"
        if self.reuse and (existing / "hicolor").is_dir():
            return existing
        return self._timed("icons", lambda: build_icons(self.out, self.meta.app_id, ICON_MASTER))

    def bundle(self) -> Path:
        from ribuild.bundle import build_bundle, bundle_dir, bundle_executable

        if self.reuse and bundle_executable(self.out, self.meta).is_file():
            return bundle_dir(self.out, self.meta)
        icons = self.icons()
        return self._timed("bundle", lambda: build_bundle(self.out, self.meta, icons))

    def tarball(self) -> Path:
        from ribuild.bundle import build_tarball

        bundle = self.bundle()
        return self._timed("tarball", lambda: build_tarball(self.out, self.meta, bundle))

    def deb(self) -> Path:
        from ribuild.deb import build_deb

        bundle, icons = self.bundle(), self.icons()
        return self._timed(
            "deb", lambda: build_deb(self.out, self.meta, bundle, icons, self.compression)
        )

    def wheel(self) -> Path:
        from ribuild.wheel import build_wheel

        def step() -> Path:
            wheel, sdist = build_wheel(self.out, self.meta)
            _log(f"sdist: {sdist} ({_size(sdist)})")
            return wheel

        return self._timed("wheel", step)

    def all(self) -> Path:
        self.tarball()
        self.deb()
        return self.wheel()


def _check_tools(command: str) -> None:
    """Fail early, in plain words, when the Python running this lacks a build tool."""
    needs = {"bundle": ["PyInstaller"], "tarball": ["PyInstaller"], "deb": ["PyInstaller"]}
    needs["wheel"] = ["build"]
    needs["all"] = ["PyInstaller", "build"]
    for module in needs.get(command, []):
        try:
            __import__(module)
        except ImportError:
            raise SystemExit(
                f"{sys.executable} cannot import {module}: run this script with the project's "
                "venv (.venv/bin/python; `bash scripts/bootstrap.sh setup` creates it)"
            ) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/make.py", description=__doc__.split("\n")[0])
    parser.add_argument(
        "command", choices=["icons", "bundle", "tarball", "deb", "wheel", "all"], help="artifact"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="take the bundle and icons already in the output folder instead of rebuilding them",
    )
    parser.add_argument(
        "--compression",
        default="xz",
        choices=["xz", "zstd", "gzip"],
        help=".deb compression (xz: smallest, readable by every dpkg)",
    )
    args = parser.parse_args(argv)
    _check_tools(args.command)
    args.out.mkdir(parents=True, exist_ok=True)
    builder = Builder(args.out.resolve(), read_meta(), args.reuse, args.compression)
    result = getattr(builder, args.command)()
    sys.stdout.write(f"{result}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
