"""Every platform icon, rendered at build time from the one SVG master (``resources/icons/app.svg``)
with Qt's own QSvgRenderer, so no extra tool is needed and nothing rendered is committed.

Outputs, under ``<out>/icons/``:

- ``hicolor/<N>x<N>/apps/<app id>.png`` for the sizes Linux desktops look up, plus
  ``hicolor/scalable/apps/<app id>.svg`` (the master itself);
- ``app.ico`` (Windows: PNG-compressed entries 16-256, the format Windows Vista and later read);
- ``app.icns`` (macOS: PNG entries 16-1024 under their ``icp4``..``ic10`` type codes).
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path

LINUX_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
"""The hicolor sizes GNOME, KDE and XFCE look up (the freedesktop icon theme spec's common set)."""

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
"""Windows shell sizes (Explorer, taskbar, Alt-Tab at every DPI scale)."""

ICNS_TYPES: Mapping[str, int] = {
    "icp4": 16,
    "icp5": 32,
    "icp6": 64,
    "ic07": 128,
    "ic08": 256,
    "ic09": 512,
    "ic10": 1024,
    "ic11": 32,
    "ic12": 64,
    "ic13": 256,
    "ic14": 512,
}
"""Apple icon family type codes holding PNG data, and the pixel size each holds (ic11..ic14 are
the @2x variants of 16, 32, 128 and 256)."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def render_pngs(svg: Path, sizes: Iterable[int]) -> dict[int, bytes]:
    """Render the SVG master into square PNGs (transparent background), one per size.

    No QGuiApplication is created: painting paths into a QImage does not need one, and a stray
    application object would break a later QApplication in the same process (pytest-qt)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG that Qt can render")
    out: dict[int, bytes] = {}
    for size in sorted(set(sizes)):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.convertToFormat(QImage.Format.Format_ARGB32).save(buffer, "PNG"):  # type: ignore[call-overload]  # stubs say bytes; runtime wants str
            raise RuntimeError(f"Qt could not encode the {size}px icon as PNG")
        buffer.close()
        out[size] = bytes(data.data())
    return out


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (raises ValueError if data is not a PNG)."""
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def ico_bytes(pngs: Mapping[int, bytes]) -> bytes:
    """A Windows .ico holding one PNG-compressed image per size (ICONDIR + ICONDIRENTRY list)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        if not 1 <= size <= 256:
            raise ValueError(f"an .ico entry must be 1..256 px, not {size}")
        blob = pngs[size]
        dim = 0 if size == 256 else size  # 0 means 256 in the one-byte fields
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset + len(blobs))
        blobs += blob
    return header + entries + blobs


def icns_bytes(pngs: Mapping[int, bytes]) -> bytes:
    """A macOS .icns whose elements are PNGs, one per type code whose size was rendered."""
    body = b""
    for code, size in ICNS_TYPES.items():
        if size in pngs:
            blob = pngs[size]
            body += code.encode("ascii") + struct.pack(">I", 8 + len(blob)) + blob
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def build_icons(out: Path, app_id: str, svg: Path) -> Path:
    """Render every icon into ``out/icons`` (replacing what was there) and return that folder."""
    icons = out / "icons"
    if icons.exists():
        shutil.rmtree(icons)
    all_sizes = {*LINUX_SIZES, *ICO_SIZES, *ICNS_TYPES.values()}
    pngs = render_pngs(svg, all_sizes)
    for size in LINUX_SIZES:
        target = icons / "hicolor" / f"{size}x{size}" / "apps" / f"{app_id}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
    scalable = icons / "hicolor" / "scalable" / "apps" / f"{app_id}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    (icons / "app.ico").write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    (icons / "app.icns").write_bytes(icns_bytes(pngs))
    (icons / "app.png").write_bytes(pngs[256])
    return icons
