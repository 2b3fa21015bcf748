"""The analysis task's pure part."""

from __future__ import annotations

from celery_app.analysis import analyze_text, guess_language, sentiment
from celery_app.signals import process_name


def test_analysis_of_an_english_message() -> None:
    result = analyze_text("The delivery was late again. This is a terrible service! Delivery matters.")
    assert result["language"] == "en"
    assert result["words"] == 12
    assert result["sentences"] == 3
    assert result["keywords"][0] == "delivery"
    assert result["sentiment"] < 0


def test_languages() -> None:
    cases = {
        "en": "the cat is on the table and it is happy",
        "de": "ich bin nicht sicher ob das ist was wir wollen",
        "fr": "je ne suis pas sûr que ce soit pour nous",
        "es": "no estoy seguro de que esta sea para mi",
        "ru": "я не уверен что это то что нам нужно",
    }
    for lang, text in cases.items():
        assert guess_language(text.split())[0] == lang, lang
    assert guess_language([]) == ("und", 0.0)


def test_sentiment_bounds() -> None:
    assert sentiment(["great", "love"]) == 1.0
    assert sentiment(["awful"]) == -1.0
    assert sentiment(["table"]) == 0.0


def test_empty_and_symbol_only_text() -> None:
    assert analyze_text("!!! ???")["words"] == 0


def test_worker_process_names() -> None:
    assert process_name("worker1@host") == "worker1"
    assert process_name("worker12@a.b") == "worker12"
