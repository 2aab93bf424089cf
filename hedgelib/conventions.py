"""Units, signs and input validation shared by the whole library.

Every number that crosses the public API follows one set of conventions, declared here
once:

========================  ===============================================================
time                      years (float); daily grids use 252 trading days a year
volatility                annualised, decimal (0.2 = 20%)
rates, dividend yield     continuously compounded, decimal
greeks                    raw partial derivatives: vega per 1.00 of volatility, theta per
                          year, rho per 1.00 of rate
quantities                signed: + long, - short, in units of the underlying
P&L                       the holder's view in currency; a loss is negative. VaR and ES
                          are positive losses
costs                     ``proportional`` is a fraction of traded notional (1e-4 = 1 bp)
paths                     time-major: ``spot`` has shape ``(n_steps + 1, n_paths)``
randomness                every random function takes ``rng``: int, Generator or None
errors                    bad input raises :class:`HedgeLibError` naming the argument
========================  ===============================================================
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from hedgelib._typing import FloatArray, OptionKind

TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365
#: Sane bounds on inputs, so that every formula stays finite and every answer means something:
#: a rate or dividend yield (and a model's drift) of at most 100% a year in absolute value,
#: volatility of at most 1000% a year, prices and strikes up to 1e100 (their squares and
#: products must not overflow), times up to a century, positions up to a billion units.
MAX_RATE = 1.0
MAX_VOLATILITY = 10.0
#: The least volatility a hedge may divide by (0.0001% a year): below it d1 and gamma
#: overflow for any moneyness, and such a hedge is the zero-volatility limit anyway.
MIN_VOLATILITY = 1e-6
MAX_PRICE = 1e100
#: The least price: its reciprocal (a share count, a log-moneyness) must stay finite.
MIN_PRICE = 1.0 / MAX_PRICE
MAX_YEARS = 100.0
MAX_QUANTITY = 1e9
#: A mean log jump (Merton) of at most 5 in absolute value: one jump multiplies the price by
#: up to 148 or divides it by as much; beyond, the jump-size series cannot be summed.
MAX_LOG_JUMP = 5.0
#: At most 10,000 jumps a year (about 40 a trading day): more is a diffusion, not jumps.
MAX_JUMP_INTENSITY = 1e4
#: Heston: variances (v0, theta) up to MAX_VOLATILITY squared, mean reversion up to 1000 a
#: year (a half-life of a quarter of a trading day), volatility of variance up to MAX_VOLATILITY.
MAX_MEAN_REVERSION = 1000.0
#: Most float elements one array of the library may hold (8 GiB): sizes beyond are refused
#: up front with a message, not met by a MemoryError or a machine that swaps.
MAX_ELEMENTS = 2**30
#: Most steps on one time grid: the time loops are Python loops, one iteration a step.
MAX_STEPS = 1_000_000
#: A leg or hedge option counts as expired at a grid time within this many years of its
#: expiry, so that grids built by accumulating float steps still settle on the expiry date.
EXPIRY_TOLERANCE = 1e-9
OPTION_KINDS: tuple[OptionKind, ...] = ("call", "put")

__all__ = [
    "CALENDAR_DAYS_PER_YEAR",
    "EXPIRY_TOLERANCE",
    "MAX_ELEMENTS",
    "MAX_JUMP_INTENSITY",
    "MAX_LOG_JUMP",
    "MAX_MEAN_REVERSION",
    "MAX_PRICE",
    "MAX_QUANTITY",
    "MAX_RATE",
    "MAX_STEPS",
    "MAX_VOLATILITY",
    "MAX_YEARS",
    "MIN_PRICE",
    "OPTION_KINDS",
    "TRADING_DAYS_PER_YEAR",
    "HedgeLibError",
    "as_array",
    "as_rng",
    "check_choice",
    "check_date",
    "check_date_range",
    "check_in_range",
    "check_int",
    "check_kind",
    "check_mean_reversion",
    "check_finite",
    "check_non_negative",
    "check_positive",
    "check_positive_quantity",
    "check_positive_volatility",
    "check_positive_years",
    "check_price",
    "check_quantity",
    "check_rate",
    "check_scalar",
    "check_time",
    "check_values",
    "check_variance",
    "check_size",
    "check_volatility",
    "check_years",
    "iso_date",
    "kind_sign",
]


class HedgeLibError(ValueError):
    """Bad input to the library: the message names the argument and the value."""



def as_array(value: Any, name: str) -> FloatArray:
    """Convert ``value`` to a float array, refusing non-numeric input and NaN.

    Parameters
    ----------
    value : array_like
        The input.
    name : str
        Argument name used in the error message.
    """
    if isinstance(value, str | bytes) or value is None:
        raise HedgeLibError(f"{name} must be a number or an array of numbers, got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError:
        raise HedgeLibError(f"{name} must be a number a float can hold (about 1.8e308 at most), got "
                            f"{_short(value)}") from None
    except (TypeError, ValueError):
        raise HedgeLibError(
            f"{name} must be a number or an array of numbers, got {_short(value)}"
        ) from None
    if np.isnan(arr).any():
        where = "" if arr.ndim == 0 else f" at index {_index(np.isnan(arr))}"
        raise HedgeLibError(f"{name} must not be NaN, got NaN{where}")
    return arr


def _short(value: Any) -> str:
    """A value's repr, cut short: a 5,000-digit integer should not fill the message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:40] + f"... ({len(text)} characters)"


def _first_bad(arr: FloatArray, bad: np.ndarray) -> str:
    if arr.ndim == 0:
        return repr(float(arr))
    return f"{float(arr[np.unravel_index(np.argmax(bad), bad.shape)])!r} at index {_index(bad)}"


def _index(bad: np.ndarray) -> str:
    """Where the first true element of ``bad`` is: ``3`` in a vector, ``(1, 2)`` in a grid
    (a vector's index printed as numpy's tuple, "(3,)", reads as code)."""
    idx = tuple(int(i) for i in np.unravel_index(np.argmax(bad), bad.shape))
    return str(idx[0]) if len(idx) == 1 else str(idx)


# From this size up, a float array is first checked with one min and one max (a NaN makes
# both NaN and fails the comparisons); only a failing array takes the slower passes that
# name its first bad element.
_FAST_CHECK_SIZE = 16384


def _passes(value: Any, low: float, inclusive: bool, high: float = np.inf) -> bool:
    if type(value) is not np.ndarray or value.dtype != np.float64 or value.size <= _FAST_CHECK_SIZE:
        return False
    lo, hi = value.min(), value.max()
    return bool((lo >= low if inclusive else lo > low) and hi < np.inf and hi <= high)


def check_positive(value: Any, name: str) -> FloatArray:
    """Return ``value`` as a float array after checking every element is > 0 and finite."""
    if _passes(value, 0.0, False):
        return value
    arr = as_array(value, name)
    bad = ~(arr > 0) | ~np.isfinite(arr)
    if bad.any():
        raise HedgeLibError(f"{name} must be positive and finite, got {_first_bad(arr, bad)}")
    return arr


def check_non_negative(value: Any, name: str) -> FloatArray:
    """Return ``value`` as a float array after checking every element is >= 0 and finite."""
    if _passes(value, 0.0, True):
        return value
    arr = as_array(value, name)
    bad = ~(arr >= 0) | ~np.isfinite(arr)
    if bad.any():
        raise HedgeLibError(f"{name} must be non-negative and finite, got {_first_bad(arr, bad)}")
    return arr


def check_finite(value: Any, name: str) -> FloatArray:
    """Return ``value`` as a float array after checking every element is finite."""
    if _passes(value, -np.inf, False):
        return value
    arr = as_array(value, name)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise HedgeLibError(f"{name} must be finite, got {_first_bad(arr, bad)}")
    return arr


def check_in_range(
    value: Any, name: str, low: float, high: float, *, inclusive: tuple[bool, bool] = (True, True)
) -> FloatArray:
    """Return ``value`` as a float array after checking it lies in ``[low, high]``.

    ``inclusive`` says whether each end is allowed.
    """
    if _passes(value, low, inclusive[0]) and (value.max() <= high if inclusive[1] else value.max() < high):
        return value
    arr = as_array(value, name)
    lo_ok = arr >= low if inclusive[0] else arr > low
    hi_ok = arr <= high if inclusive[1] else arr < high
    bad = ~(lo_ok & hi_ok)
    if bad.any():
        lb = "[" if inclusive[0] else "("
        rb = "]" if inclusive[1] else ")"
        raise HedgeLibError(f"{name} must lie in {lb}{low}, {high}{rb}, got {_first_bad(arr, bad)}")
    return arr


def check_int(value: Any, name: str, *, minimum: int = 1, maximum: int = MAX_ELEMENTS) -> int:
    """Return ``value`` as an int after checking it is an integer (not a bool, not a float,
    even a whole one: ``2e5`` typed where a count is meant is a mistake to point out) in range.

    No count in the library can exceed :data:`MAX_ELEMENTS`, the default ``maximum``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise HedgeLibError(f"{name} must be a whole number, got {_short(value)}")
    value = int(value)
    if value < minimum or value > maximum:
        raise HedgeLibError(f"{name} must be at least {minimum} and at most {maximum:,}, got {_short(value)}")
    return value


def check_rate(value: Any, name: str) -> FloatArray:
    """Return a rate or dividend yield as a float array after checking ``|value| <= MAX_RATE``."""
    if _passes(value, -MAX_RATE, True, MAX_RATE):
        return value
    return _at_most(check_finite(value, name), name, MAX_RATE, "(100% a year) in absolute value")


def _at_most(arr: FloatArray, name: str, high: float, what: str) -> FloatArray:
    bad = np.abs(arr) > high
    if bad.any():
        unit = f" {what}" if what else ""
        raise HedgeLibError(f"{name} must be at most {high:g}{unit}, got {_first_bad(arr, bad)}")
    return arr


def check_price(value: Any, name: str) -> FloatArray:
    """A spot, strike or price: from :data:`MIN_PRICE` to :data:`MAX_PRICE`."""
    if _passes(value, MIN_PRICE, True, MAX_PRICE):
        return value
    arr = check_positive(value, name)
    if (arr < MIN_PRICE).any():
        raise HedgeLibError(f"{name} must be at least {MIN_PRICE:g}, got {_first_bad(arr, arr < MIN_PRICE)}")
    return _at_most(arr, name, MAX_PRICE, "")


def check_volatility(value: Any, name: str, *, positive: bool = False) -> FloatArray:
    """A volatility, decimal a year: at most :data:`MAX_VOLATILITY` (1000%), >= 0 (at least
    :data:`MIN_VOLATILITY` when ``positive``)."""
    if _passes(value, MIN_VOLATILITY if positive else 0.0, True, MAX_VOLATILITY):
        return value
    arr = check_positive(value, name) if positive else check_non_negative(value, name)
    if positive and (arr < MIN_VOLATILITY).any():
        raise HedgeLibError(f"{name} must be at least {MIN_VOLATILITY:g} (0.0001% a year), "
                            f"got {_first_bad(arr, arr < MIN_VOLATILITY)}")
    return _at_most(arr, name, MAX_VOLATILITY, "(1000% a year)")


def check_years(value: Any, name: str, *, positive: bool = False) -> FloatArray:
    """A time in years: at most :data:`MAX_YEARS`, >= 0 (> 0 when ``positive``)."""
    if _passes(value, 0.0, not positive, MAX_YEARS):
        return value
    arr = check_positive(value, name) if positive else check_non_negative(value, name)
    return _at_most(arr, name, MAX_YEARS, "years")


def check_positive_volatility(value: Any, name: str) -> FloatArray:
    """A volatility that must be above 0 (one the deltas divide by)."""
    return check_volatility(value, name, positive=True)


def check_variance(value: Any, name: str, *, positive: bool = False) -> FloatArray:
    """A variance a year (Heston's v0, theta): >= 0 (> 0 when ``positive``), at most
    :data:`MAX_VOLATILITY` squared."""
    arr = check_positive(value, name) if positive else check_non_negative(value, name)
    return _at_most(arr, name, MAX_VOLATILITY**2, "(a volatility of 1000% a year)")


def check_mean_reversion(value: Any, name: str) -> FloatArray:
    """A mean-reversion speed a year: > 0 and at most :data:`MAX_MEAN_REVERSION`."""
    return _at_most(check_positive(value, name), name, MAX_MEAN_REVERSION, "a year")


def check_positive_years(value: Any, name: str) -> FloatArray:
    """A time that must be above 0 (an expiry, a horizon)."""
    return check_years(value, name, positive=True)


def check_positive_quantity(value: Any, name: str) -> FloatArray:
    """A size that must be above 0."""
    return _at_most(check_positive(value, name), name, MAX_QUANTITY, "units")


def check_quantity(value: Any, name: str) -> FloatArray:
    """A signed position: at most :data:`MAX_QUANTITY` units either way."""
    return _at_most(check_finite(value, name), name, MAX_QUANTITY, "units either way")


def check_size(n_elements: int, what: str) -> None:
    """Refuse an allocation of more than :data:`MAX_ELEMENTS` floats, naming what asked."""
    if n_elements > MAX_ELEMENTS:
        raise HedgeLibError(
            f"{what} would need {n_elements:,} numbers ({8 * n_elements / 2**30:,.0f} GiB), more "
            f"than the {MAX_ELEMENTS:,} one array may hold: ask for fewer paths or steps"
        )


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` after checking it is one of the text ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise HedgeLibError(f"{name} must be one of {', '.join(map(repr, choices))}, got {_short(value)}")
    return value


def check_values(values: Any, name: str) -> tuple[Any, ...]:
    """The items of a non-empty sequence (a list, tuple or 1-D array), as a tuple; a single
    number, a text or a mapping where several values are meant is refused by name."""
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise HedgeLibError(f"{name} must be a sequence of values, got {_short(values)}")
    items = tuple(values)
    if not items:
        raise HedgeLibError(f"{name} must hold at least one value, got none")
    return items


def check_kind(kind: Any, name: str = "kind") -> OptionKind:
    """Return the option kind, ``"call"`` or ``"put"`` (case-insensitive)."""
    if isinstance(kind, str) and kind.lower() in OPTION_KINDS:
        return kind.lower()  # type: ignore[return-value]
    raise HedgeLibError(f"{name} must be 'call' or 'put', got {kind!r}")


def kind_sign(kind: OptionKind) -> float:
    """+1 for a call, -1 for a put: the sign that folds the two Black-Scholes formulas into one."""
    return 1.0 if check_kind(kind) == "call" else -1.0


def as_rng(rng: Any) -> np.random.Generator:
    """Turn ``rng`` (None, an int seed, a SeedSequence or a Generator) into a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise HedgeLibError(f"rng must be None, a non-negative int seed or a numpy Generator, got {rng!r}")


def check_scalar(
    value: Any, name: str, check: Callable[[Any, str], FloatArray] = check_finite
) -> float:
    """Return ``value`` as a Python float after ``check`` and checking it is one number.

    >>> check_scalar(0.2, "volatility", check_positive)
    0.2
    """
    arr = check(value, name)
    if arr.ndim != 0:
        raise HedgeLibError(f"{name} must be a single number, got an array of shape {arr.shape}")
    return float(arr)


def _timestamp(value: Any, name: str, what: str) -> pd.Timestamp:
    wrong = f"{name} must be {what}, got {value!r}"
    if value is None or isinstance(value, bool | int | float | np.number):
        # pandas would read a bare number as nanoseconds since 1970: never what was meant.
        raise HedgeLibError(wrong)
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        raise HedgeLibError(wrong) from None
    if ts is pd.NaT or pd.isna(ts):
        raise HedgeLibError(wrong)
    return ts


def check_date(value: Any, name: str) -> pd.Timestamp:
    """A date argument as a tz-naive midnight ``Timestamp``, or a HedgeLibError naming it.

    >>> check_date("2018-02-05 15:30", "start").isoformat()
    '2018-02-05T00:00:00'
    """
    ts = _timestamp(value, name, "a date such as '2020-01-31'")
    if ts.tzinfo is not None:
        # The local calendar date is what a daily close belongs to.
        ts = ts.tz_localize(None)
    return ts.normalize()


def check_time(value: Any, name: str) -> pd.Timestamp:
    """A point in time as a tz-naive ``Timestamp`` in UTC (a zone is converted first).

    >>> check_time("2018-02-05 15:30-05:00", "time").isoformat()
    '2018-02-05T20:30:00'
    """
    ts = _timestamp(value, name, "a date or a time such as '2018-02-01'")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def check_date_range(start: Any, end: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``start`` and ``end`` (each optional) as dates, refusing a start after the end."""
    lo = None if start is None else check_date(start, "start")
    hi = None if end is None else check_date(end, "end")
    if lo is not None and hi is not None and lo > hi:
        raise HedgeLibError(
            f"start must not be after end, got start={lo.date().isoformat()} and "
            f"end={hi.date().isoformat()}"
        )
    return lo, hi


def iso_date(value: Any) -> str:
    """A date as ``YYYY-MM-DD`` for messages and labels."""
    return pd.Timestamp(value).date().isoformat()
