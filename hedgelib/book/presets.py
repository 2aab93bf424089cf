"""Classic option strategies around the spot, declared once in one table (Hull 2021, ch. 12).

Each preset is a description and its legs: kind, strike in widths from the spot
(:math:`K = S(1 + jw)`, ``j`` in -2..2), quantity per unit of size, and whether the leg has the
far expiry (calendar spread); plus shares of stock per unit of size.
"""

from __future__ import annotations

from dataclasses import dataclass

from hedgelib.book.book import Book, OptionLeg
from hedgelib.conventions import (
    HedgeLibError,
    check_in_range,
    check_positive_quantity,
    check_positive_years,
    check_price,
    check_scalar,
)

__all__ = ["PRESETS", "preset_book"]


@dataclass(frozen=True)
class _Preset:
    description: str
    legs: tuple[tuple[str, int, float, bool], ...]  # (kind, widths from spot, quantity, far)
    stock: float = 0.0


def _leg(kind: str, widths: int, quantity: float, far: bool = False) -> tuple[str, int, float, bool]:
    return kind, widths, quantity, far


_TABLE: dict[str, _Preset] = {
    "long_call": _Preset("Long one call at the money: bullish, loss limited to the premium.",
                         (_leg("call", 0, 1.0),)),
    "short_call": _Preset("Short one call at the money: collect premium, unlimited loss if the "
                          "price rallies.", (_leg("call", 0, -1.0),)),
    "long_put": _Preset("Long one put at the money: bearish, loss limited to the premium.",
                        (_leg("put", 0, 1.0),)),
    "short_put": _Preset("Short one put at the money: collect premium, large loss if the price "
                         "falls.", (_leg("put", 0, -1.0),)),
    "straddle": _Preset("Long call and long put at the money: a bet on a large move either way "
                        "(long vol).", (_leg("call", 0, 1.0), _leg("put", 0, 1.0))),
    "short_straddle": _Preset("Short call and short put at the money: a bet on a quiet market "
                              "(short vol).", (_leg("call", 0, -1.0), _leg("put", 0, -1.0))),
    "strangle": _Preset("Long put below and long call above spot: cheaper long vol than a "
                        "straddle.", (_leg("put", -1, 1.0), _leg("call", 1, 1.0))),
    "short_strangle": _Preset("Short put below and short call above spot: short vol with a wider "
                              "profit zone.", (_leg("put", -1, -1.0), _leg("call", 1, -1.0))),
    "bull_call_spread": _Preset("Long call at the money, short call above: capped bullish bet.",
                                (_leg("call", 0, 1.0), _leg("call", 1, -1.0))),
    "bear_put_spread": _Preset("Long put at the money, short put below: capped bearish bet.",
                               (_leg("put", 0, 1.0), _leg("put", -1, -1.0))),
    "butterfly": _Preset("Long calls below and above spot, two short calls at the money: bet on "
                         "a pin.", (_leg("call", -1, 1.0), _leg("call", 0, -2.0), _leg("call", 1, 1.0))),
    "iron_condor": _Preset("Short strangle with long wings one width further out: capped short "
                           "vol.", (_leg("put", -2, 1.0), _leg("put", -1, -1.0), _leg("call", 1, -1.0),
                                    _leg("call", 2, 1.0))),
    "collar": _Preset("Long stock, long put below and short call above: a hedged stock holding.",
                      (_leg("put", -1, 1.0), _leg("call", 1, -1.0)), stock=1.0),
    "covered_call": _Preset("Long stock and a short call above spot: income, upside capped.",
                            (_leg("call", 1, -1.0),), stock=1.0),
    "protective_put": _Preset("Long stock and a long put below spot: downside insured.",
                              (_leg("put", -1, 1.0),), stock=1.0),
    "risk_reversal": _Preset("Long call above and short put below spot: synthetic bullish skew "
                             "trade.", (_leg("put", -1, -1.0), _leg("call", 1, 1.0))),
    "calendar_spread": _Preset("Short near call, long far call at the money: earns the near leg's "
                               "decay.", (_leg("call", 0, -1.0), _leg("call", 0, 1.0, far=True))),
}

#: Preset name -> one-line description, in display order.
PRESETS: dict[str, str] = {name: p.description for name, p in _TABLE.items()}


def preset_book(
    name: str, spot: float, expiry: float, *, width: float = 0.10, quantity: float = 1.0,
    far_expiry: float | None = None,
) -> Book:
    """A classic option strategy around ``spot``.

    Parameters
    ----------
    name : str
        One of :data:`PRESETS` (e.g. ``"straddle"``, ``"butterfly"``, ``"collar"``).
    spot : float
        Current underlying price, > 0; the at-the-money strike is exactly ``spot``.
    expiry : float
        Expiry in years, > 0 (the near expiry for a calendar spread).
    width : float, default 0.10
        Distance between strikes as a fraction of spot, in (0, 1) (in (0, 0.5) for the iron
        condor, whose outer wings are two widths away). Strikes are ``spot * (1 + j width)``,
        not rounded.
    quantity : float, default 1.0
        Size, > 0: the number of options in each single leg (and of shares). Use the
        ``short_`` presets or :meth:`Book.scaled` with -1 for the other side.
    far_expiry : float, optional
        Far expiry of the calendar spread, > ``expiry``; default ``2 * expiry``. Ignored by the
        other presets.

    Examples
    --------
    >>> preset_book("bull_call_spread", 100.0, 0.5).to_frame()
       kind  strike  expiry  quantity
    0  call   100.0     0.5       1.0
    1  call   110.0     0.5      -1.0
    """
    if not isinstance(name, str) or name not in _TABLE:
        raise HedgeLibError(f"unknown preset {name!r}; valid names: {', '.join(PRESETS)}")
    preset = _TABLE[name]
    s = check_scalar(spot, "spot", check_price)
    t = check_scalar(expiry, "expiry", check_positive_years)
    n = check_scalar(quantity, "quantity", check_positive_quantity)
    widest = max(abs(widths) for _, widths, _, _ in preset.legs)
    w = check_scalar(width, "width")
    check_in_range(w, "width", 0.0, 1.0 / max(widest, 1), inclusive=(False, False))
    far = t
    if any(is_far for *_, is_far in preset.legs):
        far = 2.0 * t if far_expiry is None else check_scalar(far_expiry, "far_expiry", check_positive_years)
        if far <= t:
            raise HedgeLibError(f"far_expiry must be later than expiry ({t!r}), got {far!r}")
    legs = [
        OptionLeg(kind, s if widths == 0 else s * (1.0 + widths * w), far if is_far else t, qty * n)
        for kind, widths, qty, is_far in preset.legs
    ]
    return Book(legs, preset.stock * n)
