"""Parsers for environment variables, so settings.py reads as a table of knobs.

A value that does not parse stops the process with one line, like every other refusal
in settings.py: that line is what an operator reads in the platform's log."""
import os
import sys
from typing import Any


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_number(name: str, default: float, kind: type = int, what: str = "a whole number") -> Any:
    value = env_str(name)
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        sys.exit(f"ImproperlyConfigured: {name} must be {what}, not {value!r}")


def env_int(name: str, default: int) -> int:
    return env_number(name, default)


def env_float(name: str, default: float) -> float:
    return env_number(name, default, float, "a number")


def env_bool(name: str, default: bool) -> bool:
    return env_str(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}
