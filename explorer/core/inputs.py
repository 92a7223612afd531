"""Values that arrive from the page, a link or the API, checked by the project's one set of checks
(:mod:`training.checks`) in their lenient form: a page's box or a link sends text ("3" is 3). Each refusal is one
:class:`InputError` with a short message that says what to do (shown in the panel that asked, never as a
traceback)."""

from __future__ import annotations

from training import checks

InputError = checks.InvalidValue


def whole_number(value, low: int, high: int, what: str) -> int:
    """``value`` (a number or its text) as an int in [low, high], or :class:`InputError`."""
    return checks.whole_number(value, low, high, what, parse=True)


def real_number(value, low: float, high: float, what: str) -> float:
    """``value`` (a number or its text) as a finite float in [low, high], or :class:`InputError`."""
    return checks.real_number(value, low, high, what, parse=True)


def next_seed(seed) -> int:
    """The seed after ``seed`` (0 after the largest, or after anything that is not a seed)."""
    try:
        return (int(seed) + 1) % 2**31
    except (TypeError, ValueError, OverflowError):
        return 0
