"""Labeled regression sets for the detector (regression/*.jsonl), their scorer and the generator of one."""
