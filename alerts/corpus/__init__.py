"""A labeled corpus of chat messages for measuring the detector (generate.py writes messages.jsonl)."""
