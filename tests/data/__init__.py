"""Data the tests read."""
