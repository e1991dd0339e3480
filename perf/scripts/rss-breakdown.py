#!/usr/bin/env python3
"""Where a running process's resident memory is: per mapping (from /proc/PID/smaps) and, for its own ELF image,
per section (which pages of .text, __managedcode, .rodata, .hydrated, ... are resident, from /proc/PID/pagemap).

    perf/scripts/rss-breakdown.py PID

Reading pagemap needs root (or CAP_SYS_ADMIN); without it the per-section table is skipped.
"""
import os
import re
import struct
import subprocess
import sys


def mappings(pid):
    rows, cur = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                start, end = (int(x, 16) for x in parts[0].split("-"))
                cur = {"start": start, "end": end, "perm": parts[1], "offset": int(parts[2], 16),
                       "name": parts[5] if len(parts) > 5 else "[anon]"}
                rows.append(cur)
            else:
                key, _, value = line.partition(":")
                if value.strip().endswith("kB"):
                    cur[key] = int(value.split()[0])
    return rows


def sections(binary):
    out = []
    text = subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout
    for line in text.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m and int(m.group(2), 16) > 0 and int(m.group(3), 16) > 0:
            out.append((m.group(1), int(m.group(2), 16), int(m.group(3), 16)))
    return out


def main():
    pid = int(sys.argv[1])
    exe = os.readlink(f"/proc/{pid}/exe")
    rows = mappings(pid)
    by_name = {}
    for r in rows:
        name = "[anon]" if r["name"] in ("[anon]", "[heap]", "[stack]") else r["name"]
        agg = by_name.setdefault(name, {"Rss": 0, "Private_Dirty": 0, "Clean": 0})
        agg["Rss"] += r.get("Rss", 0)
        agg["Private_Dirty"] += r.get("Private_Dirty", 0)
        agg["Clean"] += r.get("Shared_Clean", 0) + r.get("Private_Clean", 0)
    total = sum(a["Rss"] for a in by_name.values())
    print(f"pid {pid} ({exe}): Rss {total / 1024:.2f} MiB")
    for name, a in sorted(by_name.items(), key=lambda kv: -kv[1]["Rss"]):
        if a["Rss"] >= 64:
            print(f"  {a['Rss'] / 1024:6.2f} MiB  (dirty {a['Private_Dirty'] / 1024:5.2f}, clean {a['Clean'] / 1024:5.2f})  {name}")
    big = [r for r in rows if r["name"] in ("[anon]", "[heap]") and r.get("Rss", 0) >= 256]
    print("  anonymous mappings with ≥ 256 KiB resident: " +
          ", ".join(f"{r['Rss']} KiB of {(r['end'] - r['start']) // 1024} KiB{' (heap)' if r['name'] == '[heap]' else ''}" for r in big))
    try:
        pagemap = open(f"/proc/{pid}/pagemap", "rb")
    except PermissionError:
        print("(no access to pagemap: per-section residency skipped)")
        return
    image = [r for r in rows if r["name"] == exe]
    base = image[0]["start"] - image[0]["offset"]

    def resident(va):
        pagemap.seek((va // 4096) * 8)
        return (struct.unpack("<Q", pagemap.read(8))[0] >> 63) & 1

    print(f"  {exe}, resident pages per section (.bss/.hydrated are anonymous):")
    for name, addr, size in sections(exe):
        if size < 64 * 1024:
            continue
        start, end = base + addr, base + addr + size
        pages = range(start & ~4095, end, 4096)
        n = sum(resident(va) for va in pages)
        print(f"    {name:18s} {size / 1024:8.0f} KiB, resident {n * 4:6d} KiB ({100 * n / len(pages):3.0f}%)")


if __name__ == "__main__":
    main()
