"""Checks for values that arrive from the page or the API, each refused with a short message that
says what to do (shown in the panel that asked, never as a traceback)."""

from __future__ import annotations

import math


class InputError(ValueError):
    """A value from the page or the API that the app cannot use; the message says what to do."""


def _as_float(value, what: str, kind: str) -> float:
    """``value`` as a float (maybe inf or nan), or :class:`InputError` saying ``what`` must be ``kind``."""
    if value is None:  # what a number box sends when it is empty or holds letters
        raise InputError(f"{what} must be {kind}: the box is empty or not a number")
    if isinstance(value, bool):
        raise InputError(f"{what} must be {kind}, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be {kind}, got {value!r}") from None


def whole_number(value, low: int, high: int, what: str) -> int:
    """``value`` as an int in [low, high], or :class:`InputError`."""
    number = _as_float(value, what, "a whole number")
    if not math.isfinite(number) or number != int(number):
        raise InputError(f"{what} must be a whole number, got {value!r}")
    number = int(number)
    if not low <= number <= high:
        raise InputError(f"{what} {number} is out of range: it must be between {low} and {high}")
    return number


def real_number(value, low: float, high: float, what: str) -> float:
    """``value`` as a finite float in [low, high], or :class:`InputError`."""
    number = _as_float(value, what, "a number")
    if not math.isfinite(number) or not low <= number <= high:
        raise InputError(f"{what} must be a number between {low:g} and {high:g}, got {value!r}")
    return number


def next_seed(seed) -> int:
    """The seed after ``seed`` (0 after the largest, or after anything that is not a seed)."""
    try:
        return (int(seed) + 1) % 2**31
    except (TypeError, ValueError, OverflowError):
        return 0
