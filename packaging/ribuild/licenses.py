"""The licence texts that ship with the bundle (and so with the ``.tar.gz`` and the ``.deb``).

``collect(bundle)`` writes ``<bundle>/licenses/``:

- ``realtime-inspector/LICENSE``: the project's own (MIT);
- ``python/LICENSE.txt``: the Python runtime's (PSF), from the Python that built the bundle;
- ``python-packages/<dist>/``: every Python distribution whose modules are in the bundle, with
  the licence files its wheel ships (``*.dist-info/licenses/`` or ``License-File``), or, where a
  wheel ships none, a note with the licence its metadata declares;
- ``qt/``: the GNU LGPL 3 and GPL 3 texts for Qt, PySide6 and shiboken6 (their wheels ship no
  licence file; the texts come from Debian's ``/usr/share/common-licenses``);
- ``system-libraries/<package>.copyright``: for every shared library PyInstaller copied from the
  build machine, the ``copyright`` file of the Debian package that ships it (``dpkg -S``);
- ``README.txt``: the index (component, version, licence, where its text is).

It runs after PyInstaller and raises when a bundled library cannot be attributed, so a new
dependency without a licence text fails the build instead of shipping silently.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ribuild.meta import ROOT, AppMeta

COMMON_LICENSES = Path("/usr/share/common-licenses")
_LICENSE_NAME = re.compile(r"(?i)^(licen[cs]e|copying|notice|copyright|authors)([._-].*)?$")
_SONAME = re.compile(r"^(lib[^/]+?\.so)(\.[0-9.]+)?$")
#: Distributions in the build venv that are build tools, never bundled as code.
_NOT_BUNDLED = {
    "pip",
    "setuptools",
    "wheel",
    "pyinstaller-hooks-contrib",
    "altgraph",
    "realtime-inspector",
}


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    license: str
    files: tuple[str, ...]  # relative to licenses/

    def line(self) -> str:
        where = ", ".join(self.files) if self.files else "(declared only, see the note)"
        return f"{self.name} {self.version}\n    licence: {self.license}\n    text: {where}\n"


def _python_license() -> Path:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for candidate in (stdlib / "LICENSE.txt", Path(sys.base_prefix) / "LICENSE.txt"):
        if candidate.is_file():
            return candidate
    raise RuntimeError(f"the Python runtime's LICENSE.txt was not found under {stdlib}")


def python_license_text() -> str:
    """The Python runtime's licence text (the part after the history: terms and conditions)."""
    return _python_license().read_text(encoding="utf-8")


def _declared(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    text = (meta.get("License") or "").strip()
    if classifiers:
        return "; ".join(classifiers)
    return text.splitlines()[0] if text else "not declared"


def _top_names(dist: metadata.Distribution) -> set[str]:
    names: set[str] = set()
    for file in dist.files or []:
        first = file.parts[0]
        if first.endswith((".dist-info", ".egg-info", ".data")) or first in ("..", "bin"):
            continue
        names.add(first.split(".")[0] if first.endswith((".py", ".so", ".pyd")) else first)
    top = dist.read_text("top_level.txt")
    if top:
        names |= {line.strip() for line in top.splitlines() if line.strip()}
    return names


def _license_files(dist: metadata.Distribution) -> list[Path]:
    found = []
    for file in dist.files or []:
        in_info = file.parts[0].endswith(".dist-info")
        if (in_info and "licenses" in file.parts) or (
            in_info and len(file.parts) == 2 and _LICENSE_NAME.match(file.name)
        ):
            path = Path(str(file.locate()))
            if path.is_file():
                found.append(path)
    return found


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _toc_sources(workdir: Path) -> set[Path]:
    """Every source file PyInstaller put into the bundle (its ``*.toc`` files are Python
    literals: the PYZ archive's modules and the collected binaries and data files)."""
    sources: set[Path] = set()

    def walk(node: object) -> None:
        if isinstance(node, str):
            if node.startswith("/") and "site-packages" in node:
                sources.add(Path(node).resolve())
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    for toc in workdir.rglob("*.toc"):
        try:
            walk(ast.literal_eval(toc.read_text(encoding="utf-8")))
        except (ValueError, SyntaxError, MemoryError):
            continue
    return sources


def _bundled_dists(workdir: Path) -> list[metadata.Distribution]:
    """The distributions with at least one file in the bundle (by PyInstaller's own lists)."""
    sources = _toc_sources(workdir)
    dists: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = _norm(dist.metadata.get("Name") or "")
        if not name or name in _NOT_BUNDLED or name == "realtime-inspector" or name in dists:
            continue
        for file in dist.files or []:
            if Path(str(file.locate())).resolve() in sources:
                dists[name] = dist
                break
    pyinstaller = next(
        (d for d in metadata.distributions() if _norm(d.name) == "pyinstaller"), None
    )
    if pyinstaller is not None:  # its bootloader is the bundle's executable
        dists["pyinstaller"] = pyinstaller
    return [dists[k] for k in sorted(dists)]


def _system_libraries(internal: Path, dists: list[metadata.Distribution]) -> dict[str, str]:
    """Bundled shared libraries copied from the system -> the Debian package shipping them
    (libraries that came in a bundled wheel are that wheel's, ``libpython`` is Python's)."""
    from_wheels = {Path(str(f)).name for d in dists for f in d.files or []}
    names = sorted(
        p.name
        for p in internal.iterdir()
        if p.is_file()
        and _SONAME.match(p.name)
        and not p.name.startswith("libpython")
        and p.name not in from_wheels
    )
    if not names:
        return {}
    qt_lib = internal / "PySide6" / "Qt" / "lib"
    owners = _dpkg_owners([f"*/{name}" for name in names])
    for name in names:
        if name in owners:
            continue
        match = _SONAME.match(name)
        other = _dpkg_owners([f"*/{match.group(1)}.*"]) if match else {}
        if other:  # another version of the same library (ICU 73 in Qt, 72 in Debian)
            owners[name] = next(iter(other.values()))
        elif (qt_lib / name).exists() or name.startswith("libQt6"):
            owners[name] = "qt"
        else:
            raise RuntimeError(
                f"the bundle holds {name} but no Debian package ships it: say where its "
                "licence comes from in packaging/ribuild/licenses.py"
            )
    return owners


def _dpkg_owners(patterns: list[str]) -> dict[str, str]:
    """File name -> Debian package, for the files ``dpkg -S`` finds (one call for all)."""
    result = subprocess.run(["dpkg", "-S", *patterns], capture_output=True, text=True, check=False)
    owners: dict[str, str] = {}
    for line in result.stdout.splitlines():
        package, _, path = line.partition(": ")
        if path and "," not in package:
            owners.setdefault(Path(path).name, package.split(":")[0])
    return owners


def collect(bundle: Path, meta: AppMeta, workdir: Path) -> list[Component]:
    """Write ``bundle/licenses`` and return what it lists (see the module docstring)."""
    out = bundle / "licenses"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    internal = bundle / "_internal"
    components: list[Component] = []

    own = out / meta.dist_name
    own.mkdir()
    shutil.copyfile(ROOT / "LICENSE", own / "LICENSE")
    components.append(
        Component(meta.dist_name, meta.version, meta.license, (f"{own.name}/LICENSE",))
    )

    py = out / "python"
    py.mkdir()
    shutil.copyfile(_python_license(), py / "LICENSE.txt")
    components.append(
        Component("Python", sys.version.split()[0], "PSF-2.0", ("python/LICENSE.txt",))
    )

    qt = out / "qt"
    qt.mkdir()
    for text in ("LGPL-3", "GPL-3"):
        source = COMMON_LICENSES / text
        if not source.is_file():
            raise RuntimeError(f"{source} is missing (Debian's base-files ships it)")
        shutil.copyfile(source, qt / f"{text}.txt")
    qt_files = ("qt/LGPL-3.txt", "qt/GPL-3.txt")

    dists = _bundled_dists(workdir)
    for dist in dists:
        name = dist.metadata["Name"]
        folder = out / "python-packages" / name
        folder.mkdir(parents=True)
        declared = _declared(dist)
        files = []
        for index, path in enumerate(_license_files(dist)):
            target = folder / (path.name if index == 0 else f"{index}-{path.name}")
            shutil.copyfile(path, target)
            files.append(target.relative_to(out).as_posix())
        if _norm(name) in ("pyside6-essentials", "shiboken6", "pyside6"):
            for text in qt_files:
                shutil.copyfile(out / text, folder / Path(text).name)
                files.append(f"{folder.relative_to(out).as_posix()}/{Path(text).name}")
            declared = "LGPL-3.0-only (chosen from LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only)"
        if not files:
            note = folder / "DECLARED.txt"
            note.write_text(
                f"{name} {dist.version} ships no licence file in its wheel.\n"
                f"Its package metadata declares: {declared}\n",
                encoding="utf-8",
            )
            files.append(note.relative_to(out).as_posix())
        components.append(Component(name, dist.version, declared, tuple(files)))

    libs = _system_libraries(internal, dists)
    system = out / "system-libraries"
    system.mkdir()
    for package in sorted(set(libs.values()) - {"qt"}):
        source = Path("/usr/share/doc") / package / "copyright"
        if not source.is_file():
            raise RuntimeError(f"{source} is missing: the licence of {package} cannot be shipped")
        shutil.copyfile(source, system / f"{package}.copyright")
        shipped = ", ".join(sorted(lib for lib, owner in libs.items() if owner == package))
        components.append(
            Component(
                f"{shipped} (Debian package {package})",
                _deb_version(package),
                "see the Debian copyright file",
                (f"system-libraries/{package}.copyright",),
            )
        )
    if "qt" in set(libs.values()):
        shipped = ", ".join(sorted(lib for lib, owner in libs.items() if owner == "qt"))
        components.append(Component(f"{shipped} (Qt, from PySide6)", "", "LGPL-3.0", qt_files))

    index = out / "README.txt"
    index.write_text(
        f"Licences of {meta.app_name} {meta.version} and of everything bundled with it.\n"
        "Qt and Qt for Python are used under the GNU LGPL version 3; you may replace the\n"
        "bundled Qt libraries (in _internal/) with your own build of the same version.\n\n"
        + "\n".join(c.line() for c in components),
        encoding="utf-8",
    )
    return components


def _deb_version(package: str) -> str:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else ""
