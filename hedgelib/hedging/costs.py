"""Transaction cost models: "what does this trade cost?".

A cost model is any object with a ``components`` tuple of names and a :meth:`charge` method
that returns, for one rebalancing step, the cost of each component per path (positive
amounts of currency). :class:`TransactionCosts` is the built-in model; the engine only uses
that small interface, so another model (a cost schedule read from a broker, a learned impact
curve) can replace it without touching the engine.

Conventions
-----------
- Costs are positive amounts paid in cash at the time of the trade; in the P&L attribution
  they appear with a minus sign.
- ``proportional`` is one-way: a fraction of the traded notional ``|q| S`` of the underlying
  (1e-4 = 1 bp). A round trip costs twice that.
- ``per_trade`` is a fixed fee per rebalance: charged once for each path that trades at a
  step (any non-zero trade in the underlying or the hedge option), liquidation included.
- ``impact`` is the square-root market-impact coefficient on stock trades.
- ``option_spread`` is a fraction of the hedge option's model price per unit traded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    TRADING_DAYS_PER_YEAR,
    check_non_negative,
    check_positive,
    check_scalar,
)
from hedgelib.registry import parameter

__all__ = ["COST_COMPONENTS", "CostModel", "TransactionCosts"]

COST_COMPONENTS: tuple[str, ...] = ("proportional", "per_trade", "impact", "option_spread")


@runtime_checkable
class CostModel(Protocol):
    """Interface of a cost model, as the engine uses it.

    ``components`` names the cost components (the keys that :meth:`charge` may return);
    ``proportional`` is the one-way proportional rate seen by band rules such as
    :class:`~hedgelib.hedging.rules.WhalleyWilmott` (0.0 if the model has no such notion).
    """

    components: tuple[str, ...]
    proportional: float

    def charge(
        self, stock_trade: FloatArray, spot: FloatArray, volatility: FloatArray | float,
        option_trade: FloatArray | None = None, option_price: FloatArray | None = None,
    ) -> dict[str, FloatArray]:
        """Cost of each component per path (positive), for the trades of one step."""
        ...


@dataclass(frozen=True)
class TransactionCosts:
    """Proportional, fixed, square-root impact and option-spread costs of hedge trades.

    Parameters
    ----------
    proportional : float, default 0.0
        One-way cost as a fraction of the traded stock notional ``|q| S`` (1e-4 = 1 bp).
    per_trade : float, default 0.0
        Fixed fee in currency per rebalance, charged once per path that trades at a step.
    impact : float, default 0.0
        Square-root impact coefficient (dimensionless) on stock trades.
    daily_volume : float, default 1e6
        Average daily traded volume of the underlying, in shares; scales the impact.
    option_spread : float, default 0.0
        Cost of a hedge-option trade as a fraction of the option's model price, per unit.

    Notes
    -----
    For a stock trade of ``q`` shares at price ``S`` and an option trade of ``u`` units at
    model price ``O`` (hedge volatility :math:`\\sigma_h`):

    .. math::

        c_{prop} = k\\,|q|\\,S, \\qquad c_{fix} = F\\,\\mathbf{1}[q \\ne 0 \\lor u \\ne 0],

        c_{imp} = \\eta\\,\\sigma_d\\,S\\,|q|\\sqrt{|q| / V_d}, \\quad
        \\sigma_d = \\sigma_h / \\sqrt{252}, \\qquad c_{opt} = s\\,O\\,|u|.

    The impact is the square-root law (Almgren et al. 2005; Tóth et al. 2011): the price
    moves against the trade by about :math:`\\eta\\,\\sigma_d\\sqrt{|q|/V_d}` in relative
    terms. The daily volatility is the hedge volatility scaled by :math:`\\sqrt{252}`
    because the daily volume is a per-day figure whatever the simulation grid; the hedge
    volatility is the one the hedger knows when trading.

    References
    ----------
    Almgren, R., Thum, C., Hauptmann, E. and Li, H. (2005), "Direct estimation of equity
    market impact", *Risk* 18(7). Leland, H. E. (1985), "Option pricing and replication with
    transactions costs", *Journal of Finance* 40(5).

    Examples
    --------
    >>> import numpy as np
    >>> c = TransactionCosts(proportional=1e-3, per_trade=0.5)
    >>> out = c.charge(np.array([2.0, 0.0]), np.array([100.0, 100.0]), 0.2)
    >>> out["proportional"], out["per_trade"]
    (array([0.2, 0. ]), array([0.5, 0. ]))
    """

    label = "Proportional, fixed, impact and option spread"
    proportional: float = parameter(
        0.0, "Proportional cost (bp of notional)", unit="bp", low=0.0, high=10_000.0, step=1.0,
        key="cost_bp", help="One-way cost of a stock trade in basis points of |shares| x spot.",
    )
    per_trade: float = parameter(0.0, "Fixed cost per rebalance (currency)", low=0.0, high=1e6,
                                 step=0.01, key="per_trade")
    impact: float = parameter(
        0.0, "Impact coefficient (square-root law)", low=0.0, high=100.0, step=0.1, key="impact",
        help="Price moves against a trade by about coefficient x daily vol x sqrt(shares / "
             "daily volume).",
    )
    daily_volume: float = parameter(1e6, "Daily volume (shares)", low=1.0, high=1e12, step=1e5,
                                    key="daily_volume")
    option_spread: float = parameter(0.0, "Option spread (% of option price)", unit="percent",
                                     low=0.0, high=100.0, step=0.5, key="option_spread_pct")

    components = COST_COMPONENTS

    def __post_init__(self) -> None:
        for name in ("proportional", "per_trade", "impact", "option_spread"):
            object.__setattr__(self, name, check_scalar(getattr(self, name), name, check_non_negative))
        object.__setattr__(
            self, "daily_volume", check_scalar(self.daily_volume, "daily_volume", check_positive)
        )

    @property
    def is_free(self) -> bool:
        """True when every component is zero."""
        return self.proportional == 0 and self.per_trade == 0 and self.impact == 0 and self.option_spread == 0

    @property
    def proportional_only(self) -> bool:
        """True when the proportional component is the only non-zero one."""
        return self.proportional > 0 and self.per_trade == 0 and self.impact == 0 and self.option_spread == 0

    def proportional_into(self, abs_trade: FloatArray, spot: FloatArray, out: FloatArray) -> FloatArray:
        """The proportional cost ``k |q| S`` written into ``out``, given ``|q|``.

        A hot loop's path: the same two products as :meth:`charge` (so the same digits), in a
        buffer the caller reuses.
        """
        np.multiply(abs_trade, self.proportional, out=out)
        out *= spot
        return out

    def charge(
        self, stock_trade: FloatArray, spot: FloatArray, volatility: FloatArray | float,
        option_trade: FloatArray | None = None, option_price: FloatArray | None = None,
    ) -> dict[str, FloatArray]:
        """Cost of each component per path for one step's trades.

        Parameters
        ----------
        stock_trade : ndarray, shape (n_paths,)
            Signed shares bought (+) or sold (-).
        spot : ndarray, shape (n_paths,)
            Price of the underlying.
        volatility : float or ndarray, shape (n_paths,)
            Hedge volatility (annualised), used for the impact.
        option_trade, option_price : ndarray, shape (n_paths,), optional
            Signed units of the hedge option traded and its model price.

        Returns
        -------
        dict
            Component name -> cost per path (>= 0). Components that are zero in this model
            are left out; the engine treats missing components as zero.
        """
        out: dict[str, FloatArray] = {}
        need_abs = self.proportional > 0 or self.impact > 0
        aq = np.abs(stock_trade) if need_abs else None
        if self.proportional > 0:
            out["proportional"] = (self.proportional * aq) * spot
        if self.impact > 0:
            daily_vol = np.multiply(volatility, self.impact / math.sqrt(TRADING_DAYS_PER_YEAR))
            out["impact"] = daily_vol * spot * aq * np.sqrt(aq / self.daily_volume)
        if self.per_trade > 0:
            traded = stock_trade != 0
            if option_trade is not None:
                traded = traded | (option_trade != 0)
            out["per_trade"] = np.where(traded, self.per_trade, 0.0)
        if self.option_spread > 0 and option_trade is not None:
            out["option_spread"] = self.option_spread * np.abs(option_trade) * option_price
        return out
