"""Detector benchmark: quality and speed of alerts.scan beside Presidio and detect-secrets, in one run.

    python bench/detector.py [--limit N]

Scores the generated regression set (tests/data/corpora/regression/generated.jsonl) with each detector,
prints message-level precision/recall/F1, the false-positive rate on hard negatives and messages per
second on one core (each detector's median over five fresh processes with fixed, different hash seeds),
then the latency of alerts.scan on 4,000-character messages (one pure-Python engine).
Competitors come from the optional ``bench`` extra; Presidio runs its predefined pattern recognizers over a
blank spaCy pipeline (no model can be downloaded here), limited to the entities that match the contract's
kinds.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ would come first on the path, and bench/logging.py would shadow the standard
# library's logging for every package imported below. The repository root goes there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from alerts import scan  # noqa: E402
from tests.data.corpora.evaluate import REGRESSION, WRITTEN, Scores, first_run, load, score  # noqa: E402

Span = tuple[str, int, int]
Detector = Callable[[str], list[Span]]

PRESIDIO_KINDS = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "IP_ADDRESS": "ip_address",
    "CREDIT_CARD": "credit_card",
    "IBAN_CODE": "iban",
    "US_SSN": "ssn",
}


OURS = "alerts.scan"


def ours(engine: Callable[[str], list]) -> Detector:
    return lambda text: [(f.kind, f.start, f.end) for f in engine(text)]


def presidio(*, limited: bool) -> Detector | None:
    """``limited``: ask only for the six entity types that match our kinds (fewer recognizers run);
    otherwise Presidio's default, every predefined recognizer, with results outside our kinds dropped."""
    try:
        import spacy
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
    except ImportError:
        return None
    # The email recognizer would fetch the public suffix list over the network; use the bundled snapshot.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())

    class BlankSpacy(SpacyNlpEngine):
        def __init__(self) -> None:
            super().__init__(models=[{"lang_code": "en", "model_name": "blank"}])

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

    engine = BlankSpacy()
    engine.load()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"])
    analyzer = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])
    entities = list(PRESIDIO_KINDS) if limited else None

    def detect(text: str) -> list[Span]:
        results = analyzer.analyze(text=text, language="en", entities=entities)
        return [
            (PRESIDIO_KINDS[r.entity_type], r.start, r.end)
            for r in results
            if r.entity_type in PRESIDIO_KINDS
        ]

    return detect


def detect_secrets() -> Detector | None:
    try:
        from detect_secrets.core.scan import _process_line_based_plugins
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    context = default_settings()
    context.__enter__()  # the plugin settings stay active for the whole run

    def detect(text: str, _keep: object = context) -> list[Span]:  # _keep: the settings must outlive setup
        # The path `detect-secrets scan` takes for each file, minus the file: line plugins with their
        # filters. (Its public scan_line is an ad-hoc mode that turns the entropy plugins loose on every
        # word.)
        lines = list(enumerate(text.splitlines() or [text], start=1))
        spans: list[Span] = []
        for secret in _process_line_based_plugins(lines, filename="message.txt"):
            value = secret.secret_value or ""
            at = max(text.find(value), 0) if value else 0
            spans.append(("secret", at, at + len(value)))
        return spans

    return detect


def clear_our_caches() -> None:
    """alerts.scan remembers the phone numbers it validated; the corpus repeats some. Each pass starts
    without them, as real traffic (new numbers in every message) would."""
    import alerts.patterns.contact

    alerts.patterns.contact.clear_caches()


def throughput(detect: Detector, texts: list[str], repeats: int) -> float:
    """Messages per second of CPU time on this one thread (one core), best of ``repeats`` passes: the
    machine's noise only ever slows a pass down."""
    best = float("inf")
    for _ in range(repeats):
        clear_our_caches()
        start = time.thread_time()
        for text in texts:
            detect(text)
        best = min(best, time.thread_time() - start)
    return len(texts) / best


def long_messages(rows: list[dict], count: int, *, mix: str, seed: int = 7) -> list[str]:
    """4,000-character messages with one sensitive message somewhere in each. ``prose``: the rest is clean
    chatter; ``chat``: clean chatter and hard negatives (numbers, hashes, keywords without values);
    ``dense``: any corpus messages, so findings of every kind throughout."""
    rnd = random.Random(seed)
    clean = [r["text"] for r in rows if r.get("category") == "clean"]
    hard = [r["text"] for r in rows if r.get("category") == "hard_negative"]
    loud = [r["text"] for r in rows if r["spans"]]
    pool = {"prose": clean, "chat": clean + hard, "dense": clean + hard + loud}[mix]
    out = []
    for _ in range(count):
        parts: list[str] = [rnd.choice(loud)]
        while sum(len(p) + 1 for p in parts) < 4000:
            parts.insert(rnd.randrange(len(parts) + 1), rnd.choice(pool))
        out.append(" ".join(parts)[:4000])
    return out


def latency(texts: list[str], scan: Callable[[str], list]) -> dict[str, float]:
    """Per-message latency in ms: CPU time of this thread (what one core spends) and wall time (which
    also counts whatever else the machine was doing), one scan of each message; and, beside them, the best
    of three scans of each message (what the message costs, without the shared machine's noise). The three
    scans of a message come from three passes over all messages, so a burst of load from a neighbour,
    which lasts a second or so, slows at most one of them. Every scan starts without the validated phone
    numbers of earlier scans: the same message scanned again would otherwise cost less than a new one."""
    for text in texts[:20]:
        scan(text)
    cpu, wall = [], []
    best = [float("inf")] * len(texts)
    for attempt in range(3):
        for i, text in enumerate(texts):
            clear_our_caches()
            c0, w0 = time.thread_time(), time.perf_counter()
            scan(text)
            spent = time.thread_time() - c0
            if attempt == 0:
                cpu.append(spent)
                wall.append(time.perf_counter() - w0)
            best[i] = min(best[i], spent)
    cpu.sort()
    wall.sort()
    best.sort()
    p99 = min(len(texts) - 1, int(len(texts) * 0.99))
    return {
        "p50": statistics.median(cpu) * 1e3,
        "p99": cpu[p99] * 1e3,
        "max": cpu[-1] * 1e3,
        "wall p99": wall[p99] * 1e3,
        "best-of-3 p50": statistics.median(best) * 1e3,
        "best-of-3 p99": best[p99] * 1e3,
    }


# Presidio's speed swings with PYTHONHASHSEED (set iteration order in its recognizers: 14-23x from one run
# to the next), so one process's rate says little. Each detector's rate is measured in one fresh process per
# fixed seed below, and the median of those rates is its rate; the ratio is of medians.
SPEED_SEEDS = (0, 1, 2, 3, 4)


def _speed_worker(name: str, limit: int) -> None:
    """In a subprocess: the messages per second of one detector on the generated set, as JSON on stdout."""
    logging.disable(logging.WARNING)
    detect = CONTENDERS[name]()
    if detect is None:
        print(json.dumps({"rate": None}))
        return
    texts = [r["text"] for r in load()]
    if limit:
        texts = texts[:limit]
    detect(texts[0])  # warm up lazy loading
    repeats = 3 if name.startswith("presidio") else 5
    print(json.dumps({"rate": throughput(detect, texts, repeats)}))


def _one_rate(name: str, seed: int, limit: int) -> float | None:
    env = os.environ | {"PYTHONHASHSEED": str(seed), "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        [sys.executable, __file__, "--speed-worker", name, "--limit", str(limit)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rate: float | None = json.loads(done.stdout.strip().splitlines()[-1])["rate"]
    return rate


def speeds(names: list[str], limit: int) -> dict[str, list[float]]:
    """Each detector's rate in one fresh process per seed of SPEED_SEEDS (an empty list: not installed).
    The detectors take turns within each seed, so a burst of load on a shared machine slows one process of
    several detectors rather than every process of one."""
    rates: dict[str, list[float]] = {name: [] for name in names}
    missing: set[str] = set()
    for seed in SPEED_SEEDS:
        for name in names:
            if name in missing:
                continue
            rate = _one_rate(name, seed, limit)
            if rate is None:
                missing.add(name)
            else:
                rates[name].append(rate)
    return rates


MIXES = ("prose", "chat", "dense")
OUT = _HERE / "out" / "detector.json"


def svg(throughputs: dict[str, float]) -> str:
    """Microseconds per corpus message for each detector, as bars: no plotting library needed."""
    width, bar_h, left = 760, 22, 190
    costs = {name: 1e6 / rate for name, rate in throughputs.items()}
    scale = (width - left - 90) / max(costs.values())
    height = 40 + bar_h * len(costs) * 1.5
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}"'
        ' font-family="sans-serif" font-size="12">',
        '<text x="10" y="20">µs of one core per corpus message (shorter is better)</text>',
    ]
    for i, (name, cost) in enumerate(costs.items()):
        y = 35 + i * bar_h * 1.5
        color = "#2b7" if name.startswith(OURS) else "#888"
        parts.append(f'<text x="10" y="{y + 15:.0f}">{name}</text>')
        bar = max(cost * scale, 1)
        parts.append(f'<rect x="{left}" y="{y:.0f}" width="{bar:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{left + bar + 4:.1f}" y="{y + 15:.0f}">{cost:.1f} µs</text>')
    parts.append("</svg>")
    return "\n".join(parts)


# Each detector is built just before it is measured: ours run before Presidio and spaCy fill the heap
# (every full garbage collection would walk their objects too).
CONTENDERS: dict[str, Callable[[], Detector | None]] = {
    OURS: lambda: ours(scan),
    "presidio (all)": lambda: presidio(limited=False),
    "presidio (6 entities)": lambda: presidio(limited=True),
    "detect-secrets": detect_secrets,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="score only the first N corpus messages")
    parser.add_argument("--long", type=int, default=500, help="4,000-character messages for the latency part")
    parser.add_argument("--speed-worker", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed_worker:
        _speed_worker(args.speed_worker, args.limit)
        return
    logging.disable(logging.WARNING)  # Presidio logs every unsupported recognizer at start-up
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    rows = load()
    if args.limit:
        rows = rows[: args.limit]
    print(
        f"corpus: {len(rows)} messages, {sum(1 for r in rows if not r['spans'])} without sensitive data, "
        f"{sum(1 for r in rows if r.get('category') == 'hard_negative')} hard negatives\n"
    )

    # Latency first, while the process holds only what a service holds.
    latencies: dict[str, dict[str, float]] = {}
    for mix in MIXES:
        latencies[mix] = latency(long_messages(rows, args.long, mix=mix), scan)

    # Speed first, each detector in fresh processes (SPEED_SEEDS), before this one loads any competitor.
    rates = speeds(list(CONTENDERS), args.limit)
    sets = {path.stem: load(path) for path in WRITTEN}
    heldout_rows = [row for rows_of_set in sets.values() for row in rows_of_set]
    results: dict[str, tuple[Scores, float]] = {}
    heldout: dict[str, Scores] = {}
    per_set: dict[str, dict[str, Scores]] = {}
    for name, build in CONTENDERS.items():
        if not rates[name]:
            print(f"{name}: not installed (pip install -e '.[bench]')")
            continue
        detect = build()
        if detect is None:
            continue
        results[name] = (score(rows, detect, per_kind=name == OURS), statistics.median(rates[name]))
        heldout[name] = score(heldout_rows, detect, per_kind=False)
        per_set[name] = {stem: score(rs, detect, per_kind=name == OURS) for stem, rs in sets.items()}

    ours_scores = results[OURS][0]
    base = results[OURS][1]
    print(
        f"speed: messages per second of one core, median of {len(SPEED_SEEDS)} fresh processes "
        f"(PYTHONHASHSEED={','.join(map(str, SPEED_SEEDS))}); the ratio is of medians, its range over seeds "
        "beside it"
    )
    print(
        f"{'detector':22s} {'precision':>9s} {'recall':>7s} {'F1':>6s} {'hard-neg FP':>11s} {'msg/s':>9s} "
        f"{'ours is':>9s} {'(range)':>14s}"
    )
    for name, (s, rate) in results.items():
        ratio = spread = ""
        if name != OURS:
            ratio = f"{base / rate:7.1f}x"
            spread = f"{base / max(rates[name]):.1f}-{base / min(rates[name]):.1f}x"
        print(
            f"{name:22s} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.hard_fp_rate:11.3%} {rate:9.0f} "
            f"{ratio:>9s} {spread:>14s}"
        )

    print(
        f"\nsets written by others ({len(heldout_rows)} messages written apart from the detector; held-out "
        "on their first run, regression sets since: tests/data/corpora/regression/r*.jsonl):"
    )
    print(f"{'detector':22s} {'precision':>9s} {'recall':>7s} {'F1':>6s} {'hard-neg FP':>11s}")
    for name, h in heldout.items():
        print(f"{name:22s} {h.precision:9.3f} {h.recall:7.3f} {h.f1:6.3f} {h.hard_fp_rate:11.3%}")

    others = [name for name in per_set if name != OURS]
    print(
        f"\neach written set: its first run (kept beside it) and now; beside ours, the others' F1\n"
        f"{'set':28s} {'first F1':>8s} {'first FP':>8s} {'F1':>6s} {'hard FP':>7s} {'weakest kind':>22s}  "
        + " ".join(f"{name[:16]:>16s}" for name in others)
    )
    for stem in sets:
        first, now = first_run(REGRESSION / f"{stem}.jsonl"), per_set[OURS][stem]
        weakest = min(now.span_total, key=now.span_recall, default="")
        weak = f"{weakest} {now.span_recall(weakest):.3f}" if weakest else ""
        first_fp = f"{first['hard_negative_fp_rate']:8.1%}" if "hard_negative_fp_rate" in first else " " * 8
        first_f1 = f"{first['f1']:8.3f}" if "f1" in first else " " * 8
        print(
            f"{stem:28s} {first_f1} {first_fp} {now.f1:6.3f} {now.hard_fp_rate:7.1%} {weak:>22s}  "
            + " ".join(f"{per_set[name][stem].f1:16.3f}" for name in others)
        )

    print("\nalerts.scan span recall per kind (overlap / exact boundaries):")
    for kind in sorted(ours_scores.span_total):
        print(
            f"  {kind:14s} {ours_scores.span_recall(kind):6.3f} / {ours_scores.exact_rate(kind):6.3f}"
            f"   n={ours_scores.span_total[kind]}"
        )

    print("\nalerts.scan latency on 4,000-character messages, one secret in each (ms, CPU time of one core):")
    for mix in MIXES:
        lat = latencies[mix]
        print(
            f"  {mix:6s} p50 {lat['p50']:6.3f}  p99 {lat['p99']:6.3f}  max {lat['max']:6.3f}"
            f"   (best of 3 per message: p50 {lat['best-of-3 p50']:6.3f} p99 {lat['best-of-3 p99']:6.3f}; "
            f"wall-clock p99 {lat['wall p99']:6.3f})"
        )

    report = {
        "corpus": len(rows),
        "detectors": {
            name: {
                "precision": sc.precision,
                "recall": sc.recall,
                "f1": sc.f1,
                "hard_negative_fp_rate": sc.hard_fp_rate,
                "messages_per_second": rate,
                "messages_per_second_per_seed": rates[name],
            }
            for name, (sc, rate) in results.items()
        },
        "heldout": {
            name: {
                "precision": h.precision,
                "recall": h.recall,
                "f1": h.f1,
                "hard_negative_fp_rate": h.hard_fp_rate,
            }
            for name, h in heldout.items()
        },
        "span_recall": {k: ours_scores.span_recall(k) for k in sorted(ours_scores.span_total)},
        "latency_ms_4000_chars": latencies,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2))
    OUT.with_suffix(".svg").write_text(svg({name: rate for name, (_, rate) in results.items()}))
    print(f"\nwrote {OUT} and {OUT.with_suffix('.svg')}")


if __name__ == "__main__":
    main()
