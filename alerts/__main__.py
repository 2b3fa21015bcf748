"""``python -m alerts scan FILE...``: audit existing text or log files for sensitive data.

Prints one JSON object per finding: file, line, kind, alert type, column offsets within the line and the
masked form. The raw value is never printed, so the output itself is safe to keep or share.

``python -m alerts build`` compiles the detector (alerts.native); ``python -m alerts engine`` says which
engine ``scan`` uses here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from alerts import ENGINE, KIND_TO_TYPE, native, scan


def scan_file(path: Path, out: TextIO) -> int:
    count = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            for f in scan(line.rstrip("\n")):
                record = {"file": str(path), "line": lineno, "type": KIND_TO_TYPE[f.kind]} | f.as_dict()
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alerts", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    scan_cmd = sub.add_parser("scan", help="print the findings of text or log files as JSON lines (masked)")
    scan_cmd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    build_cmd = sub.add_parser("build", help="compile the detector unless the installed build is current")
    build_cmd.add_argument("--force", action="store_true", help="compile even when the build is current")
    build_cmd.add_argument("--target", type=Path, default=None, help="default: this Python's site-packages")
    sub.add_parser("engine", help="print which engine scan uses: compiled or python (exit 1 for python)")
    args = parser.parse_args(argv)
    if args.command == "engine":
        print(ENGINE)
        return 0 if ENGINE == "compiled" else 1
    if args.command == "build":
        if args.force or native.installed_hash() != native.source_hash():
            print("compiling the detector with mypyc…", file=sys.stderr)
            native.build(args.target or native.default_target())
        return 0
    total, status = 0, 0
    for path in args.files:
        try:
            total += scan_file(path, sys.stdout)
        except OSError as exc:
            print(f"python -m alerts: {path}: {exc.strerror}", file=sys.stderr)
            status = 2
    print(f"{total} finding(s) in {len(args.files)} file(s)", file=sys.stderr)
    # 1 when something was found, like grep inverted: a CI step can fail on a leaking log.
    return status or (1 if total else 0)


if __name__ == "__main__":
    sys.exit(main())
