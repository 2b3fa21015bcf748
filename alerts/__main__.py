"""``python -m alerts scan FILE...``: audit existing text or log files for sensitive data.

Prints one JSON object per finding: file, line, kind, alert type, column offsets within the line and the
masked form. The raw value is never printed, so the output itself is safe to keep or share.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from alerts import KIND_TO_TYPE, scan


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
    args = parser.parse_args(argv)
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
