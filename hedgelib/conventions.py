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
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from hedgelib._typing import FloatArray, OptionKind

TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365
#: A leg or hedge option counts as expired at a grid time within this many years of its
#: expiry, so that grids built by accumulating float steps still settle on the expiry date.
EXPIRY_TOLERANCE = 1e-9
OPTION_KINDS: tuple[OptionKind, ...] = ("call", "put")

__all__ = [
    "CALENDAR_DAYS_PER_YEAR",
    "EXPIRY_TOLERANCE",
    "OPTION_KINDS",
    "TRADING_DAYS_PER_YEAR",
    "HedgeLibError",
    "as_array",
    "as_rng",
    "check_date",
    "check_date_range",
    "check_in_range",
    "check_int",
    "check_kind",
    "check_finite",
    "check_non_negative",
    "check_positive",
    "check_scalar",
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
    except (TypeError, ValueError):
        raise HedgeLibError(
            f"{name} must be a number or an array of numbers, got {value!r}"
        ) from None
    if np.isnan(arr).any():
        where = "" if arr.ndim == 0 else f" at index {tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])}"
        raise HedgeLibError(f"{name} must not be NaN, got NaN{where}")
    return arr


def _first_bad(arr: FloatArray, bad: np.ndarray) -> str:
    if arr.ndim == 0:
        return repr(float(arr))
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{float(arr[idx])!r} at index {idx}"


# From this size up, a float array is first checked with one min and one max (a NaN makes
# both NaN and fails the comparisons); only a failing array takes the slower passes that
# name its first bad element.
_FAST_CHECK_SIZE = 16384


def _passes(value: Any, low: float, inclusive: bool) -> bool:
    if type(value) is not np.ndarray or value.dtype != np.float64 or value.size <= _FAST_CHECK_SIZE:
        return False
    lo, hi = value.min(), value.max()
    return bool((lo >= low if inclusive else lo > low) and hi < np.inf)


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
    arr = as_array(value, name)
    lo_ok = arr >= low if inclusive[0] else arr > low
    hi_ok = arr <= high if inclusive[1] else arr < high
    bad = ~(lo_ok & hi_ok)
    if bad.any():
        lb = "[" if inclusive[0] else "("
        rb = "]" if inclusive[1] else ")"
        raise HedgeLibError(f"{name} must lie in {lb}{low}, {high}{rb}, got {_first_bad(arr, bad)}")
    return arr


def check_int(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int after checking it is a whole number in range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise HedgeLibError(f"{name} must be a whole number, got {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise HedgeLibError(f"{name} must be at least {minimum}{upper}, got {value}")
    return value


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


def check_date(value: Any, name: str) -> pd.Timestamp:
    """A date argument as a tz-naive midnight ``Timestamp``, or a HedgeLibError naming it.

    >>> check_date("2018-02-05 15:30", "start").isoformat()
    '2018-02-05T00:00:00'
    """
    if value is None or isinstance(value, bool | int | float | np.number):
        # pandas would read a bare number as nanoseconds since 1970: never what was meant.
        raise HedgeLibError(f"{name} must be a date such as '2020-01-31', got {value!r}")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        raise HedgeLibError(f"{name} must be a date such as '2020-01-31', got {value!r}") from None
    if ts is pd.NaT or pd.isna(ts):
        raise HedgeLibError(f"{name} must be a date such as '2020-01-31', got {value!r}")
    if ts.tzinfo is not None:
        # The local calendar date is what a daily close belongs to.
        ts = ts.tz_localize(None)
    return ts.normalize()


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
