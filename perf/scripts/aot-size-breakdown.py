#!/usr/bin/env python3
"""What a Native AOT binary is made of, per assembly (issue 27: size budgets, agent RSS).

    perf/scripts/aot-size-breakdown.py UNSTRIPPED_ELF ILC_RSP [--top N] [--types ASSEMBLY]

UNSTRIPPED_ELF is the linked binary with its symbols (bin/Release/net10.0/linux-x64/native/NAME.dbg, or the
unstripped NAME beside it before StripSymbols), ILC_RSP the compiler's response file
(obj/Release/net10.0/linux-x64/native/NAME.ilc.rsp), which names every assembly that went in. Sums the sizes
`nm -S` gives the symbols (code: t/T; data: the rest) per assembly, by the assembly-name prefix Native AOT gives its
symbols (System.Private.CoreLib → S_P_CoreLib_); symbols of no assembly (the runtime, the GC, SQLite, the
compiler's own nodes) are "native/other". --types ASSEMBLY lists that assembly's largest types (code).
Sizes in KB of 1000 bytes. Symbol sizes do not add up to the file size: type data (.hydrated is written at
start), unwind and EH tables are not attributed here.
"""
import collections, re, subprocess, sys

args = sys.argv[1:]
top = 40
types_of = None
if "--top" in args:
    i = args.index("--top"); top = int(args[i + 1]); del args[i:i + 2]
if "--types" in args:
    i = args.index("--types"); types_of = args[i + 1]; del args[i:i + 2]
elf, rsp = args

names = []
for line in open(rsp):
    line = line.strip()
    path = line[3:] if line.startswith("-r:") else line if line.endswith(".dll") else None
    if path:
        names.append(re.sub(r"^.*/", "", path)[:-4])
def mangle(n):
    return {"System.Private.CoreLib": "S_P_CoreLib", "System.Private.TypeLoader": "S_P_TypeLoader",
            "System.Private.Reflection.Execution": "S_P_Reflection_Execution",
            "System.Private.StackTraceMetadata": "S_P_StackTraceMetadata"}.get(n, n.replace(".", "_").replace("-", "_"))
prefixes = sorted(((mangle(n) + "_", n) for n in names), key=lambda p: -len(p[0]))

code = collections.Counter(); data = collections.Counter(); types = collections.Counter()
out = subprocess.run(["nm", "-S", "--size-sort", elf], capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    parts = line.split(" ", 3)
    if len(parts) != 4:
        continue
    size, kind, sym = int(parts[1], 16), parts[2], parts[3]
    s = re.sub(r"^(<Boxed>|unbox_|__|_+)", "", sym)
    owner = "native/other"
    for p, n in prefixes:
        if s.startswith(p):
            owner = n
            break
    (code if kind in "tT" else data)[owner] += size
    if types_of and owner == types_of and kind in "tT":
        rest = s[len(mangle(types_of)) + 1:]
        types[re.split(r"__|<", rest)[0]] += size

total_code, total_data = sum(code.values()), sum(data.values())
print(f"{elf}: symbols with sizes: code {total_code / 1000:.0f} KB, data {total_data / 1000:.0f} KB")
print(f"{'code KB':>9} {'data KB':>9}  assembly")
for owner, _ in collections.Counter({k: code[k] + data[k] for k in set(code) | set(data)}).most_common(top):
    print(f"{code[owner] / 1000:9.1f} {data[owner] / 1000:9.1f}  {owner}")
if types_of:
    print(f"\nlargest types (code) of {types_of}:")
    for t, size in types.most_common(top):
        print(f"{size / 1000:9.1f}  {t}")
