#!/usr/bin/env python3
"""README's flag table is the truth: every short flag a tool's --help shows is
listed for that tool, with one meaning across the tools (issue: -c was CPU in
two tools and COUNT in a third). Usage: flags.py BUILD_DIR"""
import re
import subprocess
import sys

TOOLS = ["kite-emu", "kite-pingpong", "kite-regs", "kite-stat", "kite-capture", "kite-bind",
         "kite-responder", "kite-clock-sync", "kite-md-pub", "kite-md-sub", "kite-sockperf",
         "kite-fwd"]
build = sys.argv[1]
table = {}          # flag -> set of tools (or {"all"})
for line in open("README.md"):
    m = re.match(r"\| `(-[a-zA-Z][^`]*)`(?:, `(-[a-zA-Z][^`]*)`)? \| [^|]+ \| ([^|]+) \|", line)
    if not m:
        continue
    tools = m.group(3).strip()
    for spec in (m.group(1), m.group(2)):
        if spec:
            if spec[:2] in table:
                sys.exit(f"README lists {spec[:2]} twice: one meaning per flag")
            table[spec[:2]] = tools
bad = []
for tool in TOOLS:
    out = subprocess.run([f"{build}/{tool}", "--help"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    if out.returncode != 0 or "usage" not in text.lower():
        bad.append(f"{tool}: --help exited {out.returncode} or printed no usage")
        continue
    for flag in sorted(set(re.findall(r"(?<![\w-])-([a-zA-Z])(?![\w-])", text))):
        listed = table.get("-" + flag)
        if listed is None:
            bad.append(f"{tool}: -{flag} is not in README's flag table")
            continue
        names = listed.replace("all but", "").split(",")
        if "all" in listed and "all but" not in listed:
            continue
        if "all but" in listed:
            if any(tool == n.strip().split()[0] for n in listed[7:].split(" and ")):
                bad.append(f"{tool}: -{flag} but README says all but {tool}")
            continue
        if tool not in [n.strip().split()[0] for n in names]:
            bad.append(f"{tool}: -{flag} is listed for {listed.strip()}, not for {tool}")
print("\n".join(bad) if bad else f"{len(TOOLS)} tools agree with README's {len(table)} flags")
sys.exit(1 if bad else 0)
