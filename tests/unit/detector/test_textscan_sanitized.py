"""alerts/patterns/_textscan.c under AddressSanitizer and UndefinedBehaviorSanitizer: built with both, then
run over every corpus text, random texts and random keyword sets in a child process, where any
out-of-bounds read or write, use after free or undefined arithmetic aborts the run."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[3] / "alerts" / "patterns" / "_textscan.c"

# Loads the sanitized build under the module name its init function expects, and compares it with the
# pure-Python versions (tests/unit/detector/test_textscan.py compares the engine's own build).
HARNESS = r"""
import importlib.util, random, sys
spec = importlib.util.spec_from_file_location("_textscan", sys.argv[1])
t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)
from ahocorasick_rs import AhoCorasick
from alerts.corpus.evaluate import HELDOUT, load
from alerts.patterns._common import _shannon_entropy
from alerts.patterns._text import _PLAIN_FORMS, _WORD_FLAGS, _find_keywords, _long_words, _numeric_runs
from alerts.patterns._text import lower_same_length

texts = [r["text"] for p in (None, *HELDOUT) for r in (load() if p is None else load(p))]
texts += [" ".join(texts[i : i + 40]) for i in range(0, len(texts), 40)]
rnd = random.Random(7)
alphabet = [*"0123456789 -.()_aZé\t\n\u00a0\u202f＋０－＠İ电\U0001f600", *_WORD_FLAGS]
texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(60))) for _ in range(3000)]
automaton = t.keyword_automaton(list(_WORD_FLAGS))
differing = 0
for text in texts:
    low = lower_same_length(text)
    differing += t.numeric_runs(low) != _numeric_runs(low)
    differing += t.long_words(text) != _long_words(text)
    differing += sorted(t.find_keywords(automaton, low)) != sorted(_find_keywords(low))
    differing += sum(t.shannon_entropy(w) != _shannon_entropy(w) for w in text.split()[:10])
    differing += t.plain_forms(text) != text.translate(_PLAIN_FORMS)
for _ in range(1000):
    word = lambda: "".join(rnd.choice("abAé电\U0001f600 ") for _ in range(rnd.randrange(1, 6)))
    words = list({word() for _ in range(8)})
    text = "".join(rnd.choice("abAé电\U0001f600 x") for _ in range(rnd.randrange(80)))
    found = sorted(t.find_keywords(t.keyword_automaton(words), text))
    differing += found != sorted(AhoCorasick(words).find_matches_as_indexes(text, overlapping=True))
for bad in (None, b"bytes", 7):
    for function in (t.numeric_runs, t.long_words, t.shannon_entropy, t.plain_forms):
        try:
            function(bad)
        except TypeError:
            pass
print("checked", len(texts), "differing", differing)
"""


def _runtime(name: str) -> str:
    path = subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True, check=True)
    return path.stdout.strip()


def test_textscan_is_clean_under_address_and_undefined_behaviour_sanitizers(tmp_path: Path) -> None:
    library = tmp_path / "_textscan.so"
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-O1",
            "-g",
            "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=undefined",
            f"-I{sysconfig.get_paths()['include']}",
            str(SOURCE),
            "-o",
            str(library),
            "-lm",
        ],
        check=True,
    )
    env = os.environ | {
        # The interpreter itself is not instrumented: the runtimes load first, leaks are CPython's business.
        "LD_PRELOAD": f"{_runtime('libasan.so')}:{_runtime('libubsan.so')}",
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
        # Every object its own malloc, so the sanitizer has a red zone after each str (pymalloc would
        # hand out neighbouring objects from one arena, where a read past the end goes unseen).
        "PYTHONMALLOC": "malloc",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
        "PYTHONPATH": str(SOURCE.parents[2]),
    }
    run = subprocess.run(
        [sys.executable, "-c", HARNESS, str(library)], env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert "differing 0" in run.stdout, run.stdout
    assert "AddressSanitizer" not in run.stderr and "runtime error" not in run.stderr, run.stderr[-4000:]
