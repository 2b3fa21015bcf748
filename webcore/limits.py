"""The contract's limits on a message, in one place for both services and their OpenAPI documents."""

from __future__ import annotations

from typing import Final

# {"user": str 1..64, "text": str 1..4000}; service_1 forwards both (and a 32-hex id) to service_2.
USER_MAX: Final = 64
TEXT_MAX: Final = 4000
ID_MAX: Final = 64
# A body of at most 4,000 characters fits in 64 KiB with any JSON escaping, and a flood of large bodies
# stays cheap to refuse.
MAX_BODY_BYTES: Final = 64 * 1024
