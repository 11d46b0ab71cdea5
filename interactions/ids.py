"""Time-ordered UUIDs (version 7, RFC 9562) for rows written at a high rate.

New ids land at the right edge of the primary-key index instead of at random pages, which keeps
inserts cheap on PostgreSQL. Python 3.11 has no uuid7, hence this small generator.
"""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    milliseconds = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    rand_a = random_bits >> 68  # 12 bits
    rand_b = random_bits & ((1 << 62) - 1)  # 62 bits
    value = (milliseconds & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)
