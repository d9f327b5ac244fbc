#!/usr/bin/env python3
"""resident.py: which pages of a running ntphealth are in memory, by part.

    sudo bench/resident.py PID BINARY

BINARY is the executable PID runs, built WITHOUT -ldflags '-s -w' (the
symbol table names the code; stripping does not move it), e.g.
CGO_ENABLED=0 go build -trimpath -o /tmp/ntphealthd ./cmd/ntphealth.

Reads /proc/PID/maps and /proc/PID/pagemap (bit 63: the page is present;
Documentation/admin-guide/mm/pagemap.rst) for the mappings of BINARY, and
prints the resident MiB of each ELF section (readelf -S), the code of
.text split by the package of the function that owns most of each page
(go tool nm -size), and RssAnon / RssFile from /proc/PID/status. It shows
where a daemon's file-backed RSS goes: the kernel maps a file's pages
around each fault (fault-around, 64 KiB), so a Go executable, whose hot
code is spread over all of it, ends up resident nearly whole.
"""
import bisect
import collections
import struct
import subprocess
import sys

PAGE = 4096
GROUPS = [  # import-path prefix -> part
    ("modernc.org/", "SQLite (modernc.org)"),
    ("github.com/prometheus/", "Prometheus client, exporter-toolkit"),
    ("google.golang.org/protobuf", "protobuf"),
    ("github.com/ntphealth/", "ntphealth"),
    ("github.com/facebook/", "facebook/time"),
    ("go.yaml.in/", "YAML"),
    ("runtime", "Go runtime"),
    ("crypto", "crypto"),
    ("vendor/golang.org/x/crypto", "crypto"),
    ("net/http", "net/http"),
    ("html/", "templates"),
    ("text/", "templates"),
    ("reflect", "reflect"),
    ("encoding/json", "encoding/json"),
]


def part(sym):
    for prefix, name in GROUPS:
        if sym.startswith(prefix):
            return name
    return "other"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    pid, binary = int(sys.argv[1]), sys.argv[2]
    sections = []
    for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        line = line.strip()
        if line.startswith("[") and "] ." in line:
            f = line.split("]", 1)[1].split()
            sections.append((f[0], int(f[2], 16), int(f[4], 16)))
    syms = []
    for line in subprocess.run(["go", "tool", "nm", "-size", "-sort", "address", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        f = line.split()
        if len(f) >= 4 and f[2] in ("T", "t"):
            syms.append((int(f[0], 16), int(f[1]), f[3]))
    if not syms:
        sys.exit(f"{binary} has no symbol table: build it without -ldflags '-s -w'")
    starts = [s[0] for s in syms]

    resident = collections.Counter()
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in open(f"/proc/{pid}/maps"):
            f = line.split()
            if len(f) < 6 or f[5].split("/")[-1] != binary.split("/")[-1]:
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            pagemap.seek(lo // PAGE * 8)
            entries = pagemap.read((hi - lo) // PAGE * 8)
            for k in range((hi - lo) // PAGE):
                if not struct.unpack_from("<Q", entries, k * 8)[0] >> 63 & 1:
                    continue
                page = lo + k * PAGE
                name = next((n for n, a, size in sections if a <= page < a + size or a <= page + PAGE - 1 < a + size), "?")
                if name != ".text":
                    resident[name] += 1
                    continue
                owners = collections.Counter()
                i = bisect.bisect_right(starts, page + PAGE - 1) - 1
                while i >= 0 and syms[i][0] + syms[i][1] > page:
                    a, size, sym = syms[i]
                    owners[part(sym)] += min(a + size, page + PAGE) - max(a, page)
                    i -= 1
                resident[".text: " + (owners.most_common(1)[0][0] if owners else "?")] += 1

    status = {l.split(":")[0]: l.split(":")[1].strip() for l in open(f"/proc/{pid}/status") if l.startswith(("VmRSS", "RssAnon", "RssFile"))}
    print(", ".join(f"{k} {v}" for k, v in status.items()))
    print(f"pages of {binary} in memory, MiB:")
    for name, pages in resident.most_common():
        print(f"  {pages * PAGE / 2**20:6.2f}  {name}")
    print(f"  {sum(resident.values()) * PAGE / 2**20:6.2f}  in all")
    print("sections, MiB: " + ", ".join(f"{n} {size / 2**20:.2f}" for n, _, size in sections if n in (".text", ".rodata", ".gopclntab")))


if __name__ == "__main__":
    main()
