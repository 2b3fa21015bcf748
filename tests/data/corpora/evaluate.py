"""Scores a detector against the labeled corpus: message-level precision/recall/F1, the false-positive rate on
hard negatives, and span recall per kind (a gold span counts as found when a finding of the same kind
overlaps it; the exact-boundary rate is reported beside it)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

REGRESSION = Path(__file__).with_name("regression")
# The generator's set (generate.py writes it), tuned with the detector from the start.
CORPUS = REGRESSION / "generated.jsonl"
# Sets written by others without reading the detector or the other sets. Each was a held-out measure once,
# on its first run; the detector was then tuned on it (general rules only), so now it is a regression set.
# Each one's first-run score is kept beside it (NAME.first-run.json). A span may accept other kinds ("alt"):
# a JWT after "Bearer" is fairly either.
WRITTEN = tuple(sorted(p for p in REGRESSION.glob("r[0-9]*.jsonl")))
Span = tuple[str, int, int]


def load(path: Path = CORPUS) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def first_run(path: Path) -> dict:
    """What the set's first run scored (``{}`` for a set that never had one), from NAME.first-run.json."""
    record = json.loads(path.with_suffix(".first-run.json").read_text(encoding="utf-8"))
    return record.get("first_run") or {}


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    hard_total: int = 0
    hard_fp: int = 0
    span_total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    span_found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    span_exact: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[tuple[str, list[Span], list[Span]]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def hard_fp_rate(self) -> float:
        return self.hard_fp / self.hard_total if self.hard_total else 0.0

    def span_recall(self, kind: str) -> float:
        return self.span_found[kind] / self.span_total[kind] if self.span_total[kind] else 1.0

    def exact_rate(self, kind: str) -> float:
        return self.span_exact[kind] / self.span_total[kind] if self.span_total[kind] else 1.0


def score(rows: Iterable[dict], detect: Callable[[str], list[Span]], *, per_kind: bool = True) -> Scores:
    s = Scores()
    for row in rows:
        text = row["text"]
        gold = [(g["kind"], g["start"], g["end"]) for g in row["spans"]]
        accepted = [{g["kind"], *g.get("alt", ())} for g in row["spans"]]
        found = detect(text)
        positive, predicted = bool(gold), bool(found)
        if positive and predicted:
            s.tp += 1
        elif positive:
            s.fn += 1
        elif predicted:
            s.fp += 1
        else:
            s.tn += 1
        if row.get("category") == "hard_negative":
            s.hard_total += 1
            s.hard_fp += predicted
        wrong = predicted != positive
        if per_kind:
            for (kind, start, end), kinds in zip(gold, accepted, strict=True):
                s.span_total[kind] += 1
                hit = [f for f in found if f[0] in kinds and f[1] < end and start < f[2]]
                if hit:
                    s.span_found[kind] += 1
                    s.span_exact[kind] += any(f[1] == start and f[2] == end for f in hit)
                else:
                    wrong = True
        if wrong:
            s.misses.append((text, gold, found))
    return s
