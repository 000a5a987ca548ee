"""The ``.deb``: the one-folder bundle under ``/opt/<name>``, a launcher on PATH, the .desktop
file, the AppStream metainfo and the hicolor icons, packed with ``dpkg-deb``.

Installed layout::

    /opt/realtime-inspector/                    the PyInstaller bundle, unchanged
    /usr/bin/realtime-inspector                 symlink to the bundle's executable
    /usr/share/applications/<app id>.desktop
    /usr/share/metainfo/<app id>.metainfo.xml
    /usr/share/icons/hicolor/<N>x<N>/apps/<app id>.png, scalable/apps/<app id>.svg
    /usr/share/doc/realtime-inspector/copyright, changelog.gz
    /usr/share/man/man1/realtime-inspector.1.gz   generated from the argparse parser
    /usr/share/bash-completion/completions/realtime-inspector, zsh and fish likewise
    /usr/share/lintian/overrides/realtime-inspector   each override with its reason

The bundle's licence texts stay in ``/opt/realtime-inspector/licenses/``; ``copyright`` is
machine-readable (DEP-5) and points there.

No maintainer scripts: Debian's icon cache and desktop database are refreshed by the dpkg
triggers of hicolor-icon-theme and desktop-file-utils.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ribuild import clidocs, licenses
from ribuild.elfdeps import external_sonames, glibc_versions, is_elf
from ribuild.meta import PACKAGING, ROOT, AppMeta, debian_version

LINUX_DIR = PACKAGING / "linux"

SYSTEM_LIBRARIES: Mapping[str, str] = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libxcb.so.1": "libxcb1",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "ld-linux-x86-64.so.2": "libc6",
    "ld-linux-aarch64.so.1": "libc6",
    "libc.so.6": "libc6",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6",
    "librt.so.1": "libc6",
    "libresolv.so.2": "libc6",
    "libutil.so.1": "libc6",
}
"""Every shared library the bundle expects from the system (PyInstaller never bundles these: the
C library, and the GL/EGL/X/Wayland client libraries that must match the running system), and
the Debian package that ships it. The smoke test fails if the bundle needs one not listed here."""

RECOMMENDED = ("libwayland-client0", "libwayland-cursor0", "libwayland-egl1")
"""Only the Wayland platform plugin loads these; under X11 the app runs without them, and every
Wayland desktop has them. Recommends, so a bare X11 or headless machine can install the .deb."""

EXTRA_DEPENDS = (
    # Qt's xcb platform plugin loads these. PyInstaller bundles copies when the build machine has
    # them; they are declared anyway so a bundle built without them still runs.
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-shape0",
    "libxcb-image0",
    "libxcb-render-util0",
    "libxcb-randr0",
    "libxcb-xkb1",
    "libxkbcommon-x11-0",
    # The bundled fontconfig reads /etc/fonts, which the system's fontconfig-config provides.
    "libfontconfig1",
    # Without any font every glyph is drawn as a box, and Qt says nothing.
    "fonts-dejavu-core | fonts-liberation2 | fonts-noto-core | fonts-freefont-ttf",
)


def debian_arch() -> str:
    """The Debian architecture of this machine (``amd64``, ``arm64``)."""
    result = subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def deb_path(out: Path, meta: AppMeta, arch: str) -> Path:
    return out / f"{meta.dist_name}_{debian_version(meta.version)}_{arch}.deb"


def glibc_floor(bundle: Path) -> str:
    """The newest ``GLIBC_x.y`` any file in the bundle requires, as ``x.y`` (the libc6 floor)."""
    versions: set[tuple[int, ...]] = set()
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink() and is_elf(path):
            versions |= glibc_versions(path)
    return ".".join(str(n) for n in max(versions)) if versions else "2.17"


def depends(bundle: Path) -> tuple[list[str], list[str]]:
    """(Depends, Recommends) for the bundle: the packages of the system libraries it links,
    the libc floor it was built against, and EXTRA_DEPENDS. Raises if a library is unmapped."""
    missing = external_sonames(bundle)
    unknown = sorted(set(missing) - set(SYSTEM_LIBRARIES))
    if unknown:
        raise RuntimeError(
            "the bundle needs system libraries packaging/ribuild/deb.py does not map to a Debian "
            f"package: {', '.join(unknown)} (add them to SYSTEM_LIBRARIES)"
        )
    packages = {SYSTEM_LIBRARIES[soname] for soname in missing} - {"libc6"}
    required = [f"libc6 (>= {glibc_floor(bundle)})"]
    required += sorted(packages - set(RECOMMENDED))
    required += [p for p in EXTRA_DEPENDS if p not in required]
    return required, list(RECOMMENDED)


def _synopsis(summary: str) -> str:
    """The one-line description without a leading article (Debian policy 3.4.1)."""
    return re.sub(r"^(a|an|the)\s+", "", summary.rstrip("."), flags=re.IGNORECASE)


def control_text(meta: AppMeta, arch: str, installed_kib: int, bundle: Path) -> str:
    required, recommended = depends(bundle)
    long_description = (
        "A PySide6 desktop inspector, a headless command line and a local\n"
        "Realtime-compatible server for Supabase Realtime Broadcast: join channels,\n"
        "watch broadcasts live, send with ack and self, and see joins, heartbeats,\n"
        "reconnects and presence in plain words. Self-contained: the Python runtime\n"
        "and Qt are bundled under /opt."
    )
    return (
        f"Package: {meta.dist_name}\n"
        f"Version: {debian_version(meta.version)}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {meta.authors} <{meta.dist_name}@users.noreply.github.com>\n"
        f"Homepage: {meta.homepage}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join(required)}\n"
        f"Recommends: {', '.join(recommended)}\n"
        "Section: devel\n"
        "Priority: optional\n"
        f"Description: {_synopsis(meta.summary)}\n"
        + "".join(f" {line}\n" for line in long_description.splitlines())
    )


def _indented(text: str) -> str:
    """A licence text as a DEP-5 continuation block (blank lines become " .")."""
    return "".join(f" {line}\n" if line.strip() else " .\n" for line in text.splitlines())


def copyright_text(meta: AppMeta) -> str:
    """The machine-readable ``copyright`` file (DEP-5): the project under MIT, Qt and Qt for
    Python under the LGPL 3, the Python runtime under the PSF licence, and everything else in
    the bundle pointing at its own text in ``/opt/<name>/licenses/`` (``ribuild/licenses.py``)."""
    opt = f"opt/{meta.dist_name}"
    internal = f"{opt}/_internal"
    mit = (ROOT / "LICENSE").read_text(encoding="utf-8").split("\n", 3)[3].strip()
    psf = licenses.python_license_text()
    return (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: {meta.app_name}\n"
        f"Upstream-Contact: {meta.issues_url}\n"
        f"Source: {meta.homepage}\n"
        "Comment: The program is a self-contained bundle under /opt: it carries a Python\n"
        " runtime, Qt, Qt for Python and the libraries listed in\n"
        f" /{opt}/licenses/README.txt, each with its licence text in that folder.\n"
        "\n"
        "Files: *\n"
        f"Copyright: 2026 {meta.authors}\n"
        "License: Expat\n"
        "\n"
        f"Files: {internal}/*\n"
        "Copyright: the authors of each bundled library, as its licence file says\n"
        "License: bundled\n"
        f" Each bundled library comes with its own licence text in /{opt}/licenses/\n"
        " (Python packages in python-packages/, system libraries in system-libraries/).\n"
        "\n"
        f"Files: {internal}/PySide6/* {internal}/shiboken6/* {internal}/libQt6*\n"
        f" {internal}/libpyside6* {internal}/libshiboken6* {internal}/libicu*\n"
        "Copyright: The Qt Company Ltd. and other contributors\n"
        "License: LGPL-3\n"
        " Qt and Qt for Python are used under the GNU Lesser General Public License\n"
        " version 3. On Debian systems its full text is in /usr/share/common-licenses/LGPL-3\n"
        f" and it also ships in /{opt}/licenses/qt/.\n"
        "\n"
        f"Files: {internal}/libpython3* {internal}/base_library.zip {internal}/python3*\n"
        "Copyright: 2001-2024 Python Software Foundation\n"
        "License: PSF-2.0\n"
        f"{_indented(psf)}"
        "\n"
        "License: Expat\n"
        f"{_indented(mit)}"
    )


_SHARED_OBJECT = re.compile(r"\.so(\.[0-9.]+)?$")


def changelog_text(meta: AppMeta) -> str:
    """The Debian changelog of this native package: one entry for this version."""
    when = email.utils.formatdate(int(os.environ.get("SOURCE_DATE_EPOCH", "1700000000")))
    return (
        f"{meta.dist_name} ({debian_version(meta.version)}) unstable; urgency=medium\n\n"
        f"  * Release {meta.version}; what changed: the project's release notes.\n\n"
        f" -- {meta.authors} <{meta.dist_name}@users.noreply.github.com>  {when}\n"
    )


def _gzip(text: bytes, target: Path) -> None:
    """gzip -9n: no name, no time stamp, so the bytes are reproducible."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(text)


def _normalise_modes(root: Path) -> None:
    """0755 for folders and executables, 0644 for other files, whatever the umask was; shared
    libraries are 0644 (they are mapped, never executed: Debian policy 8.1)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_file() and _SHARED_OBJECT.search(path.name):
            path.chmod(0o644)
        elif path.is_dir() or path.stat().st_mode & 0o111:
            path.chmod(0o755)
        else:
            path.chmod(0o644)


def stage(out: Path, meta: AppMeta, bundle: Path, icons: Path, arch: str) -> Path:
    """Lay out the package tree (with DEBIAN/control and md5sums) under ``out/deb-root``."""
    root = out / "deb-root"
    if root.exists():
        shutil.rmtree(root)
    opt = root / "opt" / meta.dist_name
    shutil.copytree(bundle, opt, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / meta.dist_name).symlink_to(f"/opt/{meta.dist_name}/{meta.dist_name}")
    share = root / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(
        LINUX_DIR / f"{meta.app_id}.desktop", share / "applications" / f"{meta.app_id}.desktop"
    )
    (share / "metainfo").mkdir(parents=True)
    shutil.copyfile(
        LINUX_DIR / f"{meta.app_id}.metainfo.xml",
        share / "metainfo" / f"{meta.app_id}.metainfo.xml",
    )
    shutil.copytree(icons / "hicolor", share / "icons" / "hicolor")
    doc = share / "doc" / meta.dist_name
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(copyright_text(meta), encoding="utf-8")
    _gzip(changelog_text(meta).encode(), doc / "changelog.gz")
    generated = bundle / "share"
    _gzip(
        clidocs.man_page_path(generated, meta).read_bytes(),
        share / "man" / "man1" / f"{meta.dist_name}.1.gz",
    )
    for path in clidocs.completion_paths(generated, meta).values():
        target = share / path.relative_to(generated)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    overrides = share / "lintian" / "overrides"
    overrides.mkdir(parents=True)
    shutil.copyfile(LINUX_DIR / "lintian-overrides", overrides / meta.dist_name)
    _normalise_modes(root)

    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    installed_kib = (sum(p.stat().st_size for p in files) + 1023) // 1024
    debian = root / "DEBIAN"
    debian.mkdir()
    md5 = "".join(
        f"{hashlib.md5(p.read_bytes(), usedforsecurity=False).hexdigest()}  "
        f"{p.relative_to(root).as_posix()}\n"
        for p in files
    )
    (debian / "md5sums").write_text(md5, encoding="utf-8")
    (debian / "control").write_text(control_text(meta, arch, installed_kib, opt), encoding="utf-8")
    _normalise_modes(debian)
    return root


def build_deb(out: Path, meta: AppMeta, bundle: Path, icons: Path, compression: str = "xz") -> Path:
    """Stage the tree and pack it with ``dpkg-deb --build`` (root-owned files)."""
    arch = debian_arch()
    root = stage(out, meta, bundle, icons, arch)
    target = deb_path(out, meta, arch)
    env = dict(os.environ)
    env.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(root), str(target)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(root)
    return target
