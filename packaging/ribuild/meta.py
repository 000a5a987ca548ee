"""The app's identity for every artifact, read from its single sources: name, version and summary
from ``pyproject.toml``, the app id and display name from ``inspector/__init__.py``.

Nothing here imports the ``inspector`` package: the PyInstaller spec and the build script must work
from a fresh clone before (or without) an editable install, so ``__init__.py`` is parsed, not run.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository root (``packaging/ribuild/meta.py`` -> two levels up)."""

PACKAGING = ROOT / "packaging"
DEFAULT_OUT = PACKAGING / "out"
"""Where every artifact goes (gitignored); ``make.py --out`` moves it."""

ICON_MASTER = ROOT / "resources" / "icons" / "app.svg"
SPEC_FILE = PACKAGING / "pyinstaller" / "realtime-inspector.spec"


@dataclass(frozen=True)
class AppMeta:
    """Who the app is, as every artifact names it."""

    dist_name: str
    """The distribution name from pyproject (``realtime-inspector``): the wheel, the executable,
    the Debian package and the launcher on PATH all use it."""
    version: str
    """PEP 440 version from pyproject."""
    summary: str
    """pyproject ``description``: one line for the .deb, AppStream and the Windows resource."""
    app_id: str
    """Reverse-DNS id (``APP_ID``): the .desktop file name, AppStream id, icon name, macOS
    bundle id; the GUI passes it to ``QGuiApplication.setDesktopFileName``."""
    app_name: str
    """Human name (``APP_NAME``) shown in menus and window titles."""
    license: str
    """SPDX-ish license text from pyproject."""
    authors: str
    """Author names joined by commas (the .deb Maintainer, the Windows CompanyName)."""
    homepage: str = ""
    """``HOMEPAGE`` of inspector/__init__.py (AppStream, the .deb, Help -> About)."""
    issues_url: str = ""
    """``ISSUES_URL`` of inspector/__init__.py: where bugs are reported."""

    @property
    def version_tuple(self) -> tuple[int, int, int, int]:
        """Four numbers for the Windows version resource: the leading release segment, padded."""
        release = re.match(r"\d+(?:\.\d+)*", self.version)
        numbers = [int(n) for n in release.group(0).split(".")] if release else []
        numbers += [0, 0, 0, 0]
        return (numbers[0], numbers[1], numbers[2], numbers[3])


def _string_constants(module: Path) -> dict[str, str]:
    """Top-level ``NAME = "literal"`` assignments of a module, without importing it."""
    tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    found: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found[node.targets[0].id] = node.value.value
    return found


def read_meta(root: Path = ROOT) -> AppMeta:
    """Read the app's identity from ``pyproject.toml`` and ``inspector/__init__.py`` under root."""
    with (root / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh)["project"]
    constants = _string_constants(root / "inspector" / "__init__.py")
    missing = {"APP_ID", "APP_NAME"} - constants.keys()
    if missing:
        raise ValueError(f"inspector/__init__.py does not define {', '.join(sorted(missing))}")
    license_field = project.get("license", "")
    license_text = (
        license_field.get("text", "") if isinstance(license_field, dict) else license_field
    )
    authors = ", ".join(a.get("name", "") for a in project.get("authors", []) if a.get("name"))
    return AppMeta(
        dist_name=project["name"],
        version=project["version"],
        summary=project.get("description", ""),
        app_id=constants["APP_ID"],
        app_name=constants["APP_NAME"],
        license=str(license_text),
        authors=authors or project["name"],
        homepage=constants.get("HOMEPAGE", ""),
        issues_url=constants.get("ISSUES_URL", ""),
    )


_PEP440_PRE = re.compile(r"^(?P<release>\d+(?:\.\d+)*)(?P<rest>.*)$")


def debian_version(version: str) -> str:
    """Map a PEP 440 version to a Debian one that sorts the same way.

    Pre-releases and dev releases sort *before* the release in both schemes, which Debian spells
    with ``~`` (``1.0rc1`` -> ``1.0~rc1``); a dev release of the release itself sorts before its
    pre-releases, hence ``~~`` (``1.0.dev3`` -> ``1.0~~dev3``); post-releases and local versions
    sort after (``1.0.post2`` -> ``1.0+post2``, ``1.0+g1a2b`` -> ``1.0+g1a2b``).
    """
    match = _PEP440_PRE.match(version.strip().lower().lstrip("v"))
    if not match:
        raise ValueError(f"not a PEP 440 version: {version!r}")
    release, rest = match.group("release"), match.group("rest")
    local = ""
    if "+" in rest:
        rest, local = rest.split("+", 1)
        local = "+" + re.sub(r"[^a-z0-9.]", ".", local)
    out = release
    for part in re.finditer(r"[.-]?(a|b|rc|c|alpha|beta|pre|preview|dev|post)[.-]?(\d*)", rest):
        tag = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}.get(
            part.group(1), part.group(1)
        )
        number = part.group(2) or "0"
        if tag == "post":
            out += "+post" + number
        elif tag == "dev" and out == release:
            out += "~~dev" + number  # 1.0.dev1 sorts before 1.0a1 (~~ before ~)
        else:
            out += "~" + tag + number
    return out + local
