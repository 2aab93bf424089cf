"""Learned hedges: strategies fitted on data or trained on simulated paths.

- :class:`MinimumVarianceDelta` (Hull and White 2017): the Black-Scholes delta corrected for
  the expected move of implied volatility with the spot, fitted by least squares on history
  (:meth:`~MinimumVarianceDelta.fit`) or on a model's paths
  (:meth:`~MinimumVarianceDelta.fit_model`). Registered in
  :data:`hedgelib.hedging.setup.STRATEGIES` as ``"min-variance-delta"``, its coefficients
  defaulting to the fit on the bundled S&P 500 and VIX (2014-2016).
- :class:`DeepHedge` (Buehler et al. 2019): a small neural network trained on JAX to
  minimise a risk measure of the hedged P&L with costs; trained, it runs in the engine as a
  numpy forward pass. :func:`register_deep_hedge` offers a trained one in every page's
  strategy list.
- :mod:`hedgelib.learned.analysis`: both against the classical hedges on fresh paths, and
  what the network learned (its policy, its no-trade band against Whalley-Wilmott's).

Importing this package never loads JAX; :meth:`DeepHedge.fit` does, when it trains.
"""

from hedgelib.learned.analysis import (
    MEASURES,
    HedgeComparison,
    compare_hedges,
    learned_setups,
    no_trade_band,
    policy_surface,
    whalley_wilmott_band,
)
from hedgelib.learned.deep import LOSSES, DeepHedge, TrainingReport
from hedgelib.learned.min_variance import (
    BUNDLED_FIT_WINDOW,
    BUNDLED_TEST_WINDOW,
    MinimumVarianceDelta,
    MinimumVarianceFit,
    bundled_fit,
)
from hedgelib.learned.policy import ARCHITECTURES, BAND_FEATURES, DEFAULT_FEATURES, FEATURES, Policy
from hedgelib.learned.registered import (
    MAX_REGISTERED,
    register_deep_hedge,
    registered_deep_hedges,
    unregister_deep_hedge,
)

__all__ = [
    "ARCHITECTURES",
    "BAND_FEATURES",
    "BUNDLED_FIT_WINDOW",
    "BUNDLED_TEST_WINDOW",
    "DEFAULT_FEATURES",
    "FEATURES",
    "LOSSES",
    "MAX_REGISTERED",
    "MEASURES",
    "DeepHedge",
    "HedgeComparison",
    "MinimumVarianceDelta",
    "MinimumVarianceFit",
    "Policy",
    "TrainingReport",
    "bundled_fit",
    "compare_hedges",
    "learned_setups",
    "no_trade_band",
    "policy_surface",
    "register_deep_hedge",
    "registered_deep_hedges",
    "unregister_deep_hedge",
    "whalley_wilmott_band",
]
