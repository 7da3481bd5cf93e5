#!/usr/bin/env python3
"""Size table of the board image: text, data and bss per library and per
folder of ours, from the GNU ld map, and the totals against the budgets.

Every input section in the map is charged to its owner (an archive of a
library, or an object of ours by its folder) and to the kind of the output
section that holds it, read from the ELF itself: read-only -> text,
writable with contents -> data, writable without -> bss. Whatever the map
lists in a memory region other than the budgeted ones (FLASH, RAM) goes to
the "other" column with the region named below (lab-only ROM, the NVM).

Budgets: flash = text + data (.data's image lives in flash); RAM = data +
bss + stack reservation + heap peak. The heap peak exists only at run time:
the firmware prints it at the end of a job; this prints static RAM.

Exit status 1 when a budget is exceeded, 2 on a bad input.
Python 3 standard library only.
"""
import argparse
import os
import re
import struct
import sys

LIBS = [  # (archive name pattern, row)
    (r"liblwip\.a$", "lwIP"),
    (r"libmbed(tls|x509|crypto)\.a$", "Mbed TLS"),
    (r"libjpeg\.a$", "libjpeg"),
    (r"libtiff\.a$", "libtiff"),
    (r"libz\.a$", "zlib"),
    (r"lib(c|g|m|nosys)(_nano)?\.a$", "newlib/libc"),
    (r"libgcc\.a$", "libgcc"),
]
ROW_ORDER = ["lwIP", "Mbed TLS", "libjpeg", "libtiff", "zlib", "newlib/libc", "libgcc",
             "firmware/", "smtp/", "scan/", "addrbook/", "ui/", "board", "hal/",
             "sim/ (lab)", "other"]
# Rows printed even when empty: a folder whose code the image drops entirely.
ALWAYS = {"lwIP", "Mbed TLS", "libjpeg", "libtiff", "zlib", "newlib/libc", "libgcc",
          "firmware/", "smtp/", "scan/", "addrbook/", "ui/", "board"}
SHF_WRITE, SHF_ALLOC, SHT_NOBITS = 0x1, 0x2, 8


def elf_sections(path):
    """{name: (flags, type, addr, size)} of an ELF32/64 file's sections."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        raise ValueError(f"{path}: not an ELF file")
    is64, end = data[4] == 2, "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2E)

    def header(i):
        off = shoff + i * shentsize
        if is64:
            name, typ, flags, addr, stroff, size = struct.unpack_from(end + "IIQQQQ", data, off)
        else:
            name, typ, flags, addr, stroff, size = struct.unpack_from(end + "IIIIII", data, off)
        return name, typ, flags, addr, stroff, size

    strtab = header(shstrndx)[4]
    out = {}
    for i in range(1, shnum):
        name, typ, flags, addr, _, size = header(i)
        sname = data[strtab + name:data.index(b"\0", strtab + name)].decode()
        out[sname] = (flags, typ, addr, size)
    return out


def owner(path, board_dir):
    """The row an input file is charged to."""
    base = os.path.basename(path)
    m = re.match(r"(.*)\((.*)\)$", path)
    if m:  # archive(member)
        for pat, row in LIBS:
            if re.search(pat, os.path.basename(m.group(1))):
                return row
        return "other"
    if "/arm/obj/" in path:
        rel = path.split("/arm/obj/", 1)[1].lstrip("/")
        if rel.startswith(board_dir.rstrip("/") + "/"):
            return "board"
        top = rel.split("/", 1)[0]
        if top in ("firmware", "smtp", "scan", "addrbook", "ui", "hal"):
            return top + "/"
        if "/gen/" in "/" + rel:  # generated sources: ui_font.c, sim_font.c
            top = base.split("_", 1)[0]
        if top in ("firmware", "smtp", "scan", "addrbook", "ui", "hal"):
            return top + "/"
        if top == "sim":
            return "sim/ (lab)"
        return "board"  # the board's own files wherever they live
    if re.match(r"crt.*\.o$", base):  # start files of the toolchain
        return "libgcc" if "/gcc/" in path else "newlib/libc"
    return "other"


def parse_map(path):
    """Regions {name: (origin, length)} and a list of
    (output section, input section, vma, size, file)."""
    regions, items = {}, []
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    i, n = 0, len(lines)
    while i < n and not lines[i].startswith("Memory Configuration"):
        i += 1
    while i < n and not lines[i].startswith("Linker script and memory map"):
        m = re.match(r"^(\S+)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)", lines[i])
        if m and m.group(1) != "*default*":
            regions[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
        i += 1
    out_sec = None
    pending = None  # an input section name whose figures are on the next line
    hexnum = r"0x([0-9a-fA-F]+)"
    for line in lines[i:]:
        if line.startswith("OUTPUT("):
            break
        if pending is not None:
            m = re.match(r"^\s+" + hexnum + r"\s+" + hexnum + r"\s+(\S.*)$", line)
            if m:
                items.append((out_sec, pending, int(m.group(1), 16), int(m.group(2), 16),
                              m.group(3).strip()))
            pending = None
            continue
        m = re.match(r"^(\.\S+|COMMON)(\s+" + hexnum + r"\s+" + hexnum + r")?", line)
        if m:  # an output section (name at column 0)
            out_sec = m.group(1)
            continue
        m = re.match(r"^ (\S+)\s+" + hexnum + r"\s+" + hexnum + r"(\s+(\S.*))?$", line)
        if m:  # an input section on one line (or *fill*)
            f = (m.group(5) or "").strip()
            items.append((out_sec, m.group(1), int(m.group(2), 16), int(m.group(3), 16),
                          f if m.group(1) != "*fill*" else "*fill*"))
            continue
        m = re.match(r"^ (\.\S+|COMMON)$", line)
        if m:
            pending = m.group(1)
    return regions, items


def region_of(addr, regions):
    for name, (org, length) in regions.items():
        if org <= addr < org + length:
            return name
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--map", required=True)
    ap.add_argument("--elf", required=True)
    ap.add_argument("--board", default="firmware/board_mps2_an385")
    ap.add_argument("--flash-region", default="FLASH")
    ap.add_argument("--ram-region", default="RAM")
    ap.add_argument("--flash-budget", type=int, default=1024 * 1024)
    ap.add_argument("--ram-budget", type=int, default=512 * 1024)
    a = ap.parse_args()
    try:
        secs = elf_sections(a.elf)
        regions, items = parse_map(a.map)
    except (OSError, ValueError, struct.error) as e:
        print(f"size: {e}", file=sys.stderr)
        return 2

    rows = {}
    other_regions = {}
    for out_sec, in_sec, vma, size, path in items:
        if size == 0 or out_sec not in secs:
            continue
        flags, typ = secs[out_sec][:2]
        if not flags & SHF_ALLOC:
            continue
        row = "other" if path == "*fill*" else owner(path, a.board)
        reg = region_of(vma, regions) if regions else None
        if regions and reg not in (a.flash_region, a.ram_region):
            col = "other"
            other_regions[reg or "?"] = other_regions.get(reg or "?", 0) + size
        elif typ == SHT_NOBITS:
            col = "bss"
        elif flags & SHF_WRITE:
            col = "data"
        else:
            col = "text"
        r = rows.setdefault(row, {"text": 0, "data": 0, "bss": 0, "other": 0})
        r[col] += size

    # What an output section holds beyond its input sections: alignment
    # (charged to "other") or, with no input at all, a reservation such as
    # the stack's `. += size`.
    reserved = {}
    charged, inputs = {}, {}
    for out_sec, _, _, size, path in items:
        charged[out_sec] = charged.get(out_sec, 0) + size
        if path != "*fill*":
            inputs[out_sec] = inputs.get(out_sec, 0) + 1
    for name, (vma, size) in section_sizes(a.map).items():
        extra = size - charged.get(name, 0)
        if name not in secs or not secs[name][0] & SHF_ALLOC or extra <= 0:
            continue
        flags, typ = secs[name][:2]
        reg = region_of(vma, regions) if regions else None
        if regions and reg not in (a.flash_region, a.ram_region):
            other_regions[reg or "?"] = other_regions.get(reg or "?", 0) + extra
            continue
        if typ == SHT_NOBITS and not inputs.get(name):
            reserved[name] = extra
            continue
        col = "bss" if typ == SHT_NOBITS else "data" if flags & SHF_WRITE else "text"
        rows.setdefault("other", {"text": 0, "data": 0, "bss": 0, "other": 0})[col] += extra

    cols = ["text", "data", "bss", "other"]
    print(f"{'':<14}{'text':>10}{'data':>10}{'bss':>10}{'other':>10}   (bytes; -Os, gc-sections)")
    tot = {c: 0 for c in cols}
    for name in ROW_ORDER + sorted(set(rows) - set(ROW_ORDER)):
        if name not in rows and name not in ALWAYS:
            continue
        r = rows.get(name, {c: 0 for c in cols})
        print(f"{name:<14}" + "".join(f"{r[c]:>10}" for c in cols))
        for c in cols:
            tot[c] += r[c]
    print(f"{'total':<14}" + "".join(f"{tot[c]:>10}" for c in cols))
    print()

    print("(rows: input sections from the map, before string merging; the budget")
    print(" lines below: the ELF's own section sizes)")
    elf = {"text": 0, "data": 0, "bss": 0}
    for name, (flags, typ, addr, size) in secs.items():
        reg = region_of(addr, regions) if regions else None
        if not flags & SHF_ALLOC or name in reserved or (
                regions and reg not in (a.flash_region, a.ram_region)):
            continue
        col = "bss" if typ == SHT_NOBITS else "data" if flags & SHF_WRITE else "text"
        elf[col] += size
    print(f"ELF    text {elf['text']}, data {elf['data']}, bss {elf['bss']}")
    flash = elf["text"] + elf["data"]
    stack = sum(reserved.values())
    static_ram = elf["data"] + elf["bss"] + stack
    over = 0
    print(f"flash  text+data              {flash:>8} of {a.flash_budget} "
          f"({100.0 * flash / a.flash_budget:.1f}%)")
    print(f"RAM    data+bss               {elf['data'] + elf['bss']:>8}")
    for name, size in sorted(reserved.items()):
        print(f"       + {name:<20} {size:>8}  (reserved)")
    print(f"       static RAM             {static_ram:>8} of {a.ram_budget} "
          f"({100.0 * static_ram / a.ram_budget:.1f}%); heap gets the other "
          f"{a.ram_budget - static_ram}")
    print("       heap peak: printed by the firmware at the end of a job (run time);"
          " RAM = static + heap peak")
    for reg, size in sorted(other_regions.items()):
        org, length = regions.get(reg, (0, 0))
        print(f"other  {reg:<22} {size:>8} of {length} (outside the budgets)")
    if flash > a.flash_budget:
        print(f"OVER BUDGET: flash by {flash - a.flash_budget} bytes")
        over = 1
    if static_ram > a.ram_budget:
        print(f"OVER BUDGET: static RAM by {static_ram - a.ram_budget} bytes")
        over = 1
    return over


def section_sizes(path):
    """{output section: (vma, size)} from the map's column-0 lines."""
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    started = False
    for k, line in enumerate(lines):
        if line.startswith("Linker script and memory map"):
            started = True
            continue
        if not started or not line.startswith("."):
            continue
        m = re.match(r"^(\.\S+)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)", line)
        if not m and re.match(r"^\.\S+$", line) and k + 1 < len(lines):
            m2 = re.match(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)", lines[k + 1])
            if m2:
                out[line.strip()] = (int(m2.group(1), 16), int(m2.group(2), 16))
            continue
        if m:
            out[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
    return out


if __name__ == "__main__":
    sys.exit(main())
