"""The slow analysis of a clean message: pure functions, no I/O.

What a user of a messaging system wants to know about a message: its language, its size, what it is about
and its tone. Small built-in lexicons keep it dependency-free and fast; ``extra_cost_ms`` is added by the
task, not here.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?…。！？]+(?=\s|$)")

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the a an and or but is are was were be been to of in on at for with this that it i you he she we "
        "they my your our not no do does did have has had will would can could there here what which who "
        "as by from so if then than just about".split()
    ),
    "de": frozenset(
        "der die das und oder aber ist sind war waren ein eine einen zu von im in am auf für mit nicht ich "
        "du er sie wir ihr es mein dein unser bitte danke auch noch wie was wer dass den dem des".split()
    ),
    "fr": frozenset(
        "le la les et ou mais est sont était un une des du de à au aux en pour avec ce cette il elle nous "
        "vous ils je tu ne pas mon ma mes votre notre merci bonjour oui que qui dans sur".split()
    ),
    "es": frozenset(
        "el la los las y o pero es son era un una unos de del a al en para con este esta no yo tú él ella "
        "nosotros mi mis su sus gracias hola que por como muy lo se".split()
    ),
    "it": frozenset(
        "il lo la i gli le e o ma è sono era un una di da in con per questo questa non io tu lui lei noi "
        "mio mia grazie ciao che come molto del della".split()
    ),
    "pt": frozenset(
        "o a os as e ou mas é são era um uma de do da em para com este esta não eu tu ele ela nós meu minha "
        "obrigado olá que como muito".split()
    ),
    "nl": frozenset(
        "de het een en of maar is zijn was van in op voor met dit dat niet ik jij hij zij wij mijn bedankt "
        "hallo wat hoe ook".split()
    ),
    "ru": frozenset(
        "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было "
        "вот от меня еще нет о из ему теперь когда даже ну ли если уже или быть был него до вас спасибо "
        "привет пожалуйста".split()
    ),
}

POSITIVE = frozenset(
    "good great excellent love like happy thanks thank awesome nice perfect wonderful amazing fantastic "
    "glad pleased helpful best fast easy super gut danke merci bien gracias bueno genial хорошо спасибо "
    "отлично".split()
)
NEGATIVE = frozenset(
    "bad terrible awful hate angry broken slow problem issue error fail failed failure worst poor sad "
    "disappointed refund wrong bug crash cannot can't won't never schlecht mauvais malo плохо ошибка "
    "проблема".split()
)
TOP_KEYWORDS = 5


def guess_language(words: list[str]) -> tuple[str, float]:
    """The language whose stopwords cover the most words, with the share covered as a confidence."""
    if not words:
        return "und", 0.0
    hits = {lang: sum(1 for w in words if w in stops) for lang, stops in STOPWORDS.items()}
    lang, best = max(hits.items(), key=lambda item: item[1])
    if best == 0:
        if any("\u0400" <= ch <= "\u04ff" for w in words for ch in w):
            return "ru", 0.1
        return "und", 0.0
    return lang, round(best / len(words), 3)


def sentiment(words: list[str]) -> float:
    """From -1 (negative) to 1 (positive): the balance of lexicon hits."""
    pos = sum(1 for w in words if w in POSITIVE)
    neg = sum(1 for w in words if w in NEGATIVE)
    return 0.0 if pos + neg == 0 else round((pos - neg) / (pos + neg), 3)


def analyze_text(text: str) -> dict[str, Any]:
    words = [w.lower() for w in _WORD.findall(text)]
    language, confidence = guess_language(words)
    stops = STOPWORDS.get(language, frozenset())
    counts = Counter(w for w in words if len(w) > 2 and w not in stops)
    sentences = len(_SENTENCE_END.findall(text)) or (1 if text.strip() else 0)
    return {
        "language": language,
        "language_confidence": confidence,
        "words": len(words),
        "sentences": sentences,
        "characters": len(text),
        "keywords": [word for word, _ in counts.most_common(TOP_KEYWORDS)],
        "sentiment": sentiment(words),
    }
