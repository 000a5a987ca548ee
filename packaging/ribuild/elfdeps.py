"""ELF dynamic dependencies (``DT_NEEDED``) read in pure Python, for two jobs on Linux:

- the spec prunes shared libraries that nothing left in the bundle links to (PyInstaller collects
  the dependencies of every Qt plugin before we drop the plugins we do not ship, e.g. the GTK3
  platform theme's cairo/pango chain);
- the smoke tests list the libraries the bundle expects from the system, to check that the .deb
  declares a Debian package for each.

No objdump or ldd: the spec must run wherever PyInstaller runs, and parsing is a page of code.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
_PT_DYNAMIC = 2
_PT_LOAD = 1
_DT_NULL, _DT_NEEDED, _DT_STRTAB = 0, 1, 5
_DT_VERNEED, _DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF

TocEntry = tuple[str, str, str]
"""A PyInstaller TOC entry: (destination in the bundle, source path or link target, typecode)."""


def is_elf(path: Path) -> bool:
    """True if the file starts with the ELF magic (symlinks are followed)."""
    try:
        with path.open("rb") as fh:
            return fh.read(4) == ELF_MAGIC
    except OSError:
        return False


def needed(path: Path) -> list[str]:
    """The ``DT_NEEDED`` sonames of an ELF file, in order; [] for static or non-ELF files."""
    return _dynamic_info(path)[0]


def glibc_versions(path: Path) -> set[tuple[int, ...]]:
    """The ``GLIBC_x.y`` symbol versions an ELF file requires (from ``DT_VERNEED``), as tuples."""
    return {
        tuple(int(n) for n in name[len("GLIBC_") :].split("."))
        for name in _dynamic_info(path)[1]
        if re.fullmatch(r"GLIBC_\d+(\.\d+)*", name)
    }


def _dynamic_info(path: Path) -> tuple[list[str], list[str]]:
    """(DT_NEEDED sonames, version names required through DT_VERNEED) of an ELF file."""
    data = path.read_bytes()
    if not data.startswith(ELF_MAGIC) or len(data) < 64:
        return [], []
    is64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    if is64:
        phoff, phentsize, phnum = (
            struct.unpack_from(endian + "Q", data, 0x20)[0],
            *struct.unpack_from(endian + "HH", data, 0x36),
        )
        ph_fmt, dyn_fmt = endian + "IIQQQQQQ", endian + "qQ"
    else:
        phoff, phentsize, phnum = (
            struct.unpack_from(endian + "I", data, 0x1C)[0],
            *struct.unpack_from(endian + "HH", data, 0x2A),
        )
        ph_fmt, dyn_fmt = endian + "IIIIIIII", endian + "iI"
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    dynamic: tuple[int, int] | None = None  # (offset, filesz)
    for i in range(phnum):
        fields = struct.unpack_from(ph_fmt, data, phoff + i * phentsize)
        if is64:
            p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = fields[:6]
        else:
            p_type, p_offset, p_vaddr, _paddr, p_filesz = fields[:5]
        if p_type == _PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == _PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return [], []
    entry_size = struct.calcsize(dyn_fmt)
    tags: dict[int, int] = {}
    name_offsets: list[int] = []
    for pos in range(dynamic[0], dynamic[0] + dynamic[1] - entry_size + 1, entry_size):
        tag, value = struct.unpack_from(dyn_fmt, data, pos)
        if tag == _DT_NULL:
            break
        if tag == _DT_NEEDED:
            name_offsets.append(value)
        else:
            tags[tag] = value
    if _DT_STRTAB not in tags:
        return [], []
    strtab = _vaddr_to_offset(tags[_DT_STRTAB], loads)

    def string(offset: int) -> str:
        start = strtab + offset
        return data[start : data.index(b"\0", start)].decode("utf-8", "replace")

    versions: list[str] = []
    if _DT_VERNEED in tags:
        # Elf_Verneed {u16 version, u16 cnt, u32 file, u32 aux, u32 next} and
        # Elf_Vernaux {u32 hash, u16 flags, u16 other, u32 name, u32 next}: same in 32 and 64 bit.
        pos = _vaddr_to_offset(tags[_DT_VERNEED], loads)
        for _ in range(tags.get(_DT_VERNEEDNUM, 0)):
            _ver, count, _file, aux, nxt = struct.unpack_from(endian + "HHIII", data, pos)
            aux_pos = pos + aux
            for _ in range(count):
                _hash, _flags, _other, name, aux_next = struct.unpack_from(
                    endian + "IHHII", data, aux_pos
                )
                versions.append(string(name))
                aux_pos += aux_next
            if nxt == 0:
                break
            pos += nxt
    return [string(offset) for offset in name_offsets], versions


def _vaddr_to_offset(vaddr: int, loads: Iterable[tuple[int, int, int]]) -> int:
    for seg_vaddr, seg_offset, seg_filesz in loads:
        if seg_vaddr <= vaddr < seg_vaddr + seg_filesz:
            return vaddr - seg_vaddr + seg_offset
    return vaddr  # unmapped: shared objects normally have vaddr == offset for their first segment


def is_root_binary(dest: str) -> bool:
    """True for files something loads by path rather than by soname: Python extension modules,
    Qt plugins (dlopen'ed by Qt) and libpython (dlopen'ed by the bootloader)."""
    name = Path(dest).name
    parts = Path(dest).parts
    return (
        ".cpython-" in name
        or ".abi3.so" in name
        or "lib-dynload" in parts
        or "plugins" in parts
        or name.startswith("libpython")
    )


def reachable_libraries(files: Mapping[str, Path]) -> set[str]:
    """The destinations (keys of files) reached through DT_NEEDED from the root binaries.

    files maps bundle-relative destination -> source path for every collected ELF file. A
    library is found by its soname, which is the file name the bundle stores it under.
    """
    by_name: dict[str, str] = {}
    for dest in files:
        by_name.setdefault(Path(dest).name, dest)
    keep = {dest for dest in files if is_root_binary(dest)}
    todo = list(keep)
    while todo:
        dest = todo.pop()
        for soname in needed(files[dest]):
            target = by_name.get(soname)
            if target is not None and target not in keep:
                keep.add(target)
                todo.append(target)
    return keep


def prune_unreached(toc: Sequence[TocEntry]) -> tuple[list[TocEntry], set[str]]:
    """A PyInstaller binaries TOC without the shared libraries that no root binary reaches, and
    the set of destinations dropped (pass it to ``without_links_to`` for the datas TOC)."""
    elf = {dest: Path(src) for dest, src, kind in toc if kind in ("BINARY", "EXTENSION")}
    dropped = set(elf) - reachable_libraries(elf)
    return without_links_to([entry for entry in toc if entry[0] not in dropped], dropped), dropped


def without_links_to(toc: Sequence[TocEntry], dropped: set[str]) -> list[TocEntry]:
    """The TOC without the SYMLINK entries whose target is a dropped destination (PyInstaller
    links ``libQt6*.so.6`` into the top folder; a link to nothing would be left dangling)."""
    return [
        (dest, src, kind)
        for dest, src, kind in toc
        if not (kind == "SYMLINK" and Path(src).as_posix() in dropped)
    ]


def external_sonames(bundle: Path) -> dict[str, set[str]]:
    """Sonames that ELF files in the bundle need but the bundle does not hold, mapped to the
    bundle files that need them: what the system must provide."""
    elf_files = [p for p in bundle.rglob("*") if p.is_file() and is_elf(p)]
    inside = {p.name for p in bundle.rglob("*")}
    missing: dict[str, set[str]] = {}
    for path in elf_files:
        for soname in needed(path):
            if soname not in inside:
                missing.setdefault(soname, set()).add(path.relative_to(bundle).as_posix())
    return missing
