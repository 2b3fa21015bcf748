"""Typed readers of settings from the environment: one place for defaults and for what a bad value gets.

Every package keeps one settings class that reads each of its settings once, through ``Env``:

    env = Env()                      # os.environ, or a mapping for tests
    port = env.integer("SVC1_PORT", 8001, minimum=1)

An unset or empty variable gives the default. A value that cannot be read raises ``SettingError`` (it
stops the process) naming the variable and what it must be, never echoing the value (a misplaced secret
must not reach a log).
Depends on nothing of ours, so every package (logpipe and alerts included) may use it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

N = TypeVar("N", int, float)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingError(SystemExit):
    """A setting's value cannot be used; the message names the variable. A SystemExit: a process with a
    bad setting stops at start with that one line, not a traceback."""


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def raw(self, name: str) -> str | None:
        """The value as set, or None when unset or blank."""
        value = self.environ.get(name)
        return value if value is not None and value.strip() else None

    def text(self, name: str, default: str) -> str:
        value = self.raw(name)
        return default if value is None else value

    def optional(self, name: str) -> str | None:
        return self.raw(name)

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value.strip())
        except ValueError:
            raise SettingError(f"{name} must be a whole number") from None
        return self._bounded(name, number, minimum)

    def number(self, name: str, default: float, *, minimum: float | None = None) -> float:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = float(value.strip())
        except ValueError:
            raise SettingError(f"{name} must be a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise SettingError(f"{name} must be a finite number")
        return self._bounded(name, number, minimum)

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise SettingError(f"{name} must be 1 or 0 (true or false)")

    def path(self, name: str, default: str | Path) -> Path:
        return Path(self.text(name, str(default)))

    @staticmethod
    def _bounded(name: str, number: N, minimum: float | None) -> N:
        if minimum is not None and number < minimum:
            raise SettingError(f"{name} must be at least {minimum}")
        return number
