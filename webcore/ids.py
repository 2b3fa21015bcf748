"""Fresh random ids (128 bits, 32 hex characters), for message ids, request ids and delivery tags.

``uuid.uuid4()`` asks the kernel for 16 bytes on every call: a system call on the event loop per id, and
one that lets every background thread take the GIL in between. These come from one 8 KiB read of
``os.urandom`` every 512 ids: the same randomness, unguessable all the same.
"""

from __future__ import annotations

import os
import threading

_BATCH = 512
_lock = threading.Lock()
_pool: list[str] = []


def fresh_id() -> str:
    with _lock:
        if not _pool:
            raw = os.urandom(16 * _BATCH)
            _pool.extend(raw[i : i + 16].hex() for i in range(0, len(raw), 16))
        return _pool.pop()


def _reset_after_fork() -> None:
    # A forked child must not hand out the ids its parent still holds.
    global _lock
    _lock = threading.Lock()
    _pool.clear()


os.register_at_fork(after_in_child=_reset_after_fork)
