"""Checks at the boundary (CLI arguments, configs, checkpoint files): each failure is one ``ValueError``
that names the field, says what it must be and what it got."""

from __future__ import annotations

import math
import unicodedata

MAX_NAME_LENGTH = 100


def whole_number(name: str, value, low: int, high: int) -> int:
    """``value`` if it is an int (not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value


def real_number(name: str, value, low: float = -math.inf, high: float = math.inf, above: bool = False) -> float:
    """``value`` as a float if it is a finite number in [low, high] (in (low, high] when ``above``)."""
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or not (low < value if above else low <= value) or value > high):
        bound = f"> {low:g}" if above else f">= {low:g}"
        if high < math.inf:
            bound += f" and <= {high:g}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def one_of(name: str, value, options) -> str:
    """``value`` if it is one of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"unknown {name} {value!r}; use one of {', '.join(options)}")
    return value


def folder_name(name: str, value) -> str:
    """``value`` if it can name one folder inside another and nothing else: a non-empty string of at most
    100 characters, without path separators, control characters or a leading dot (no '..', no hidden
    folder, no absolute path)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")
    if not value or len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"{name} must have 1 to {MAX_NAME_LENGTH} characters, got {value!r}")
    if value.startswith(".") or "/" in value or "\\" in value:
        raise ValueError(f"{name} {value!r} must be a plain folder name: no '/', '\\' or leading '.'")
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise ValueError(f"{name} {value!r} contains control or invisible characters")
    return value
