"""The RATE_LIMIT grammar, once: "<count>/<period>", e.g. "600/minute".

Standard library only, so taskflow/settings.py can refuse a bad value at start-up with
the same parser that tasks.throttling counts with.
"""
import re

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60,
           "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
RATE = re.compile(r"(\d+)/(\w+)")


def parse_rate(rate: str) -> tuple[int, int] | None:
    """"120/minute" -> (120, 60); "" -> None (no limit); anything else -> ValueError."""
    if not rate:
        return None
    match = RATE.fullmatch(rate.strip())
    if match is None or match[2].lower() not in PERIODS:
        raise ValueError(f"RATE_LIMIT must look like 600/minute, not {rate!r}")
    return int(match[1]), PERIODS[match[2].lower()]


def is_valid_rate(rate: str) -> bool:
    try:
        parse_rate(rate)
    except ValueError:
        return False
    return True
