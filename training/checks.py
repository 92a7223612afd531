"""The project's one set of checks on values from outside: configs and their JSON, command lines, checkpoint files,
and (through :mod:`explorer.core.inputs`) the page, its links and the API. Each failure is one
:class:`InvalidValue` that names what was wrong, what it must be and what it got.

Every check takes the value first, then its bounds or options, then what to call it in the message. A value from
a config must already have its type; a value from the page or a link may be text (``parse=True``): "3" is 3.
"""

from __future__ import annotations

import math
import numbers
import unicodedata

MAX_NAME_LENGTH = 100


class InvalidValue(ValueError):
    """A value that cannot be used; the message says what it must be (the explorer calls it ``InputError``)."""


def _number(value, what: str, kind: str, parse: bool) -> float:
    """``value`` as a float (maybe inf or nan), or :class:`InvalidValue` saying ``what`` must be ``kind``."""
    if value is None:  # what a number box sends when it is empty or holds letters
        raise InvalidValue(f"{what} must be {kind}: the box is empty or not a number")
    if isinstance(value, bool) or not (isinstance(value, numbers.Real) or parse and isinstance(value, str)):
        raise InvalidValue(f"{what} must be {kind}, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidValue(f"{what} must be {kind}, got {value!r}") from None


def whole_number(value, low: int, high: int, what: str, *, parse: bool = False) -> int:
    """``value`` as an int in [low, high]. Unless ``parse``, it must be an int already (not a bool, not 2.0)."""
    if not parse and isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        raise InvalidValue(f"{what} must be a whole number, got {value!r}")
    number = _number(value, what, "a whole number", parse)
    if not math.isfinite(number) or number != int(number):
        raise InvalidValue(f"{what} must be a whole number, got {value!r}")
    number = int(value) if isinstance(value, numbers.Integral) else int(number)
    if not low <= number <= high:
        raise InvalidValue(f"{what} {number} is out of range: it must be between {low} and {high}")
    return number


def real_number(
    value,
    low: float = -math.inf,
    high: float = math.inf,
    what: str = "value",
    *,
    parse: bool = False,
    above: bool = False,
) -> float:
    """``value`` as a finite float in [low, high] (in (low, high] when ``above``)."""
    number = _number(value, what, "a number", parse)
    if not math.isfinite(number) or not (low < number if above else low <= number) or number > high:
        if math.isinf(high):
            bound = f"> {low:g}" if above else f">= {low:g}"
            raise InvalidValue(f"{what} must be a finite number {bound}, got {value!r}")
        raise InvalidValue(f"{what} must be a number between {low:g} and {high:g}, got {value!r}")
    return number


def one_of(value, options, what: str) -> str:
    """``value`` if it is one of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        raise InvalidValue(f"unknown {what} {value!r}; use one of {', '.join(options)}")
    return value


def folder_name(value, what: str) -> str:
    """``value`` if it can name one folder inside another and nothing else: a non-empty string of at most
    100 characters, without path separators, control characters or a leading dot (no '..', no hidden
    folder, no absolute path)."""
    if not isinstance(value, str):
        raise InvalidValue(f"{what} must be a string, got {value!r}")
    if not value or len(value) > MAX_NAME_LENGTH:
        raise InvalidValue(f"{what} must have 1 to {MAX_NAME_LENGTH} characters, got {value!r}")
    if value.startswith(".") or "/" in value or "\\" in value:
        raise InvalidValue(f"{what} {value!r} must be a plain folder name: no '/', '\\' or leading '.'")
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise InvalidValue(f"{what} {value!r} contains control or invisible characters")
    return value
