"""Studies on common paths: several set-ups compared, hedge error against rebalancing
frequency, the cost-risk frontier across rules, and what the theory predicts.

:func:`compare` hedges the same paths under several set-ups (common random numbers),
:func:`frequency_sweep` sets the hedge error and cost against the number of rebalances beside
the Derman-Kamal and Leland predictions of :mod:`hedgelib.theory`, :func:`cost_risk_frontier`
traces mean cost against P&L standard deviation across rules, and :func:`predicted_hedge_error`
says what Derman and Kamal predict for one set-up, or why they do not apply.

References
----------
Glasserman, P. (2004), *Monte Carlo Methods in Financial Engineering*, 4.1. Derman, E. and
Kamal, M. (1999), *Risk* 12(1). Leland, H. E. (1985), *Journal of Finance* 40(5). Whalley,
A. E. and Wilmott, P. (1997), *Mathematical Finance* 7(3).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hedgelib import theory
from hedgelib.conventions import (
    MAX_STEPS,
    HedgeLibError,
    check_int,
    check_positive,
    check_positive_years,
    check_price,
    check_scalar,
    check_values,
)
from hedgelib.hedging.experiment import DEFAULT_BLOCK_SIZE, Progress, run_setups
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.rules import DeltaBand, EveryNSteps, WhalleyWilmott
from hedgelib.hedging.setup import HedgeSetup

__all__ = [
    "Comparison",
    "Prediction",
    "compare",
    "cost_risk_frontier",
    "default_rebalance_counts",
    "frequency_sweep",
    "predicted_hedge_error",
    "theory_curve",
]


@dataclass(frozen=True, eq=False)
class Comparison:
    """Results of several hedging set-ups on the same paths (see :func:`compare`).

    Attributes
    ----------
    results : Mapping[str, HedgeResult]
        One result per set-up, in the order given (read-only).
    n_paths : int
        Paths per set-up.
    seed : int or SeedSequence
        Root seed of the paths.
    """

    results: Mapping[str, HedgeResult]
    n_paths: int
    seed: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", MappingProxyType(dict(self.results)))

    def __getitem__(self, name: str) -> HedgeResult:
        return self.results[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.results)

    def table(self) -> pd.DataFrame:
        """One row per set-up: :meth:`HedgeResult.summary` plus paired standard errors.

        Returns
        -------
        pandas.DataFrame
            Indexed by set-up name; the summary columns, ``std_se`` (standard error of the
            P&L standard deviation) and ``mean_cost_se``. On common paths, differences
            between rows are far more precise than these standard errors suggest: use
            :meth:`difference` for a paired comparison.
        """
        rows = {}
        for name, res in self.results.items():
            row = dict(res.summary())
            row["std_se"] = _std_se(res.pnl)
            row["mean_cost_se"] = _mean_se(res.costs)
            rows[name] = row
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "setup"
        return frame

    def difference(self, name: str, baseline: str) -> dict[str, float]:
        """Paired difference of mean P&L and mean cost, ``name`` minus ``baseline``.

        Returns
        -------
        dict
            ``mean_pnl``, ``mean_pnl_se``, ``mean_cost``, ``mean_cost_se``: the mean of the
            per-path differences and its standard error (common random numbers).
        """
        for n in (name, baseline):
            if n not in self.results:
                raise HedgeLibError(f"no set-up named {n!r}; set-ups are {list(self.results)}")
        a, b = self.results[name], self.results[baseline]
        dp = a.pnl - b.pnl
        dc = a.costs - b.costs
        return {
            "mean_pnl": float(dp.mean()),
            "mean_pnl_se": _mean_se(dp),
            "mean_cost": float(dc.mean()),
            "mean_cost_se": _mean_se(dc),
        }


def _mean_se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else float("nan")


def _std_se(x: np.ndarray) -> float:
    """Standard error of the sample standard deviation, from the sample fourth moment.

    ``Var(s^2) ~ (m4 - s^4) / n`` for any distribution with a fourth moment, and
    ``SE(s) ~ SE(s^2) / (2 s)`` (delta method); unlike ``s / sqrt(2 n)`` it stays honest for
    the fat-tailed P&L of discrete hedges.
    """
    n = x.size
    if n < 2:
        return float("nan")
    d = x - x.mean()
    m2 = float(np.mean(d * d))
    if m2 == 0.0:
        return 0.0
    m4 = float(np.mean(d**4))
    return math.sqrt(max(m4 - m2 * m2, 0.0) / n) / (2.0 * math.sqrt(m2))


def compare(
    model: Any, book: Any, setups: Mapping[str, HedgeSetup], *, spot: float, horizon: float,
    n_steps: int, n_paths: int, seed: int | np.random.SeedSequence, record_paths: int = 0,
    chunk_size: int | None = None, executor: Executor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE, progress: Progress | None = None,
) -> Comparison:
    """Hedge the same paths under several set-ups (common random numbers).

    Parameters
    ----------
    model, book, spot, horizon, n_steps, n_paths, seed, record_paths, chunk_size, executor, block_size, progress
        As in :func:`~hedgelib.hedging.experiment.run_experiment`.
    setups : Mapping[str, HedgeSetup]
        Set-up name to set-up, e.g. ``{"daily": base, "weekly": base.replace(rule=EveryNSteps(5))}``.

    Returns
    -------
    Comparison
        ``results`` per set-up and ``table()``.

    Notes
    -----
    Each block of paths is simulated once and hedged under every set-up, so every set-up sees
    exactly the same paths (their ``unhedged_pnl`` are identical) and a difference between
    set-ups carries no sampling noise from the paths beyond the set-ups' own response to them
    (Glasserman 2004, section 4.1).

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> from hedgelib.hedging.rules import EveryNSteps
    >>> book = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> base = HedgeSetup(0.2, rate=0.05)
    >>> cmp = compare(GBM(0.05, 0.2), book, {"daily": base, "weekly": base.replace(rule=EveryNSteps(5))},
    ...               spot=100.0, horizon=1 / 12, n_steps=20, n_paths=2000, seed=1)
    >>> t = cmp.table()
    >>> bool(t.loc["daily", "std"] < t.loc["weekly", "std"])
    True
    """
    results = run_setups(
        model, book, setups, spot=spot, horizon=horizon, n_steps=n_steps, n_paths=n_paths,
        seed=seed, record_paths=record_paths, chunk_size=chunk_size, executor=executor,
        block_size=block_size, progress=progress,
    )
    return Comparison(results=results, n_paths=int(n_paths), seed=seed)


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def default_rebalance_counts(n_steps: int) -> tuple[int, ...]:
    """Up to 8 divisors of n_steps spread evenly in log scale, n_steps itself included."""
    divs = _divisors(n_steps)
    if len(divs) <= 8:
        return tuple(divs)
    wanted = np.geomspace(1, n_steps, 8)
    picked = {min(divs, key=lambda d, w=w: abs(math.log(d / w))) for w in wanted}
    return tuple(sorted(picked))


def _theory_inputs(book: Any, setup: HedgeSetup) -> tuple[float, float, float] | None:
    """(sigma, rate, dividend_yield) when the theory columns make sense, else None."""
    if np.ndim(setup.hedge_volatility) != 0 or not getattr(book, "legs", ()):
        return None
    if getattr(setup.strategy, "name", None) != "delta":
        return None
    return float(setup.hedge_volatility), setup.rate, setup.dividend_yield


def frequency_sweep(
    model: Any, book: Any, setup: HedgeSetup, *, spot: float, horizon: float, n_paths: int,
    seed: int | np.random.SeedSequence, rebalance_counts: Iterable[int] | None = None,
    n_steps: int | None = None, chunk_size: int | None = None, executor: Executor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE, progress: Progress | None = None,
) -> pd.DataFrame:
    """Hedge error and cost against the number of rebalances, beside the theory.

    Parameters
    ----------
    model, book, spot, horizon, n_paths, seed, chunk_size, executor, block_size, progress
        As in :func:`~hedgelib.hedging.experiment.run_experiment`.
    setup : HedgeSetup
        The hedge; its rule is replaced by ``EveryNSteps(n_steps // N)`` for each count.
    rebalance_counts : iterable of int, optional
        Numbers of equal hedging intervals over the horizon; each must divide ``n_steps``.
        Default: up to 8 divisors of ``n_steps`` spread in log scale.
    n_steps : int, optional
        The fine simulation grid; default the least common multiple of ``rebalance_counts``
        (at most 100,000). Without either, HedgeLibError.
    Returns
    -------
    pandas.DataFrame
        One row per count, indexed by ``n_rebalances``: ``pnl_std``, ``pnl_std_se``,
        ``mean_pnl``, ``mean_pnl_se``, ``mean_cost``, ``mean_cost_se``, ``mean_trades``;
        and the predictions ``derman_kamal_std`` (:func:`hedgelib.theory.derman_kamal_std`
        with the book's vega today), ``theory_std`` (:func:`hedgelib.theory.hedge_error_std`)
        and ``expected_cost`` (:func:`hedgelib.theory.expected_rebalancing_cost` for the
        proportional part of ``costs``), NaN where they do not apply (a volatility that is
        not one number, a strategy other than "delta", a horizon past the first expiry), and
        ``std_ratio`` = ``pnl_std / derman_kamal_std``.

    Notes
    -----
    Every count hedges the same fine-grid paths (common random numbers), rebalancing every
    ``n_steps // N`` steps, so the curve is smooth and its slope is meaningful. The theory
    assumes the paths move at the hedge volatility (GBM with ``volatility`` equal to
    ``hedge_volatility``); otherwise the gap to it is the lesson. Derman-Kamal predicts
    ``pnl_std`` proportional to ``N^{-1/2}``; Leland's argument predicts a cost growing like
    ``N^{1/2}``.

    References
    ----------
    Derman and Kamal (1999), *Risk* 12(1); Leland (1985), *Journal of Finance* 40(5).

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> book = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> df = frequency_sweep(GBM(0.05, 0.2), book, HedgeSetup(0.2, rate=0.05), spot=100.0,
    ...                      horizon=1 / 12, n_paths=4000, seed=2, rebalance_counts=(5, 20))
    >>> list(df.index), bool(df["pnl_std"].is_monotonic_decreasing)
    ([5, 20], True)
    """
    if not isinstance(setup, HedgeSetup):
        raise HedgeLibError(f"setup must be a HedgeSetup, got {type(setup).__name__}")
    if rebalance_counts is None:
        if n_steps is None:
            raise HedgeLibError("n_steps or rebalance_counts must be given, got neither")
        n = check_int(n_steps, "n_steps", minimum=1, maximum=MAX_STEPS)
        counts = default_rebalance_counts(n)
    else:
        try:
            raw = list(rebalance_counts)
        except TypeError:
            raise HedgeLibError(
                f"rebalance_counts must be an iterable of ints, got {rebalance_counts!r}"
            ) from None
        if not raw:
            raise HedgeLibError("rebalance_counts must hold at least one count, got none")
        counts = tuple(sorted({check_int(c, "rebalance_counts", minimum=1) for c in raw}))
        if n_steps is None:
            n = math.lcm(*counts)
            if n > 100_000:
                raise HedgeLibError(
                    f"rebalance_counts {counts} need a grid of {n} steps (their least common "
                    "multiple); give n_steps and counts that divide it"
                )
        else:
            n = check_int(n_steps, "n_steps", minimum=1, maximum=MAX_STEPS)
        bad = [c for c in counts if n % c]
        if bad:
            raise HedgeLibError(f"rebalance_counts must divide n_steps={n}, got {bad}")
    setups = {str(c): setup.replace(rule=EveryNSteps(n // c)) for c in counts}
    cmp = compare(
        model, book, setups, spot=spot, horizon=horizon, n_steps=n, n_paths=n_paths, seed=seed,
        chunk_size=chunk_size, executor=executor, block_size=block_size, progress=progress,
    )
    rows = []
    inputs = _theory_inputs(book, setup)
    k = setup.proportional
    drift = getattr(model, "drift", None)
    t = float(horizon)
    vega = float("nan")
    if inputs is not None:
        sigma, r, q = inputs
        vega = float(book.greeks(float(spot), sigma, rate=r, dividend_yield=q).vega)
        to_expiry = math.isclose(t, book.expiry, rel_tol=1e-9) and len(book.expiries) == 1
        within = t <= book.first_expiry * (1 + 1e-12)
    for c in counts:
        res = cmp.results[str(c)]
        row = {
            "n_rebalances": c,
            "pnl_std": float(res.pnl.std(ddof=1)) if res.n_paths > 1 else 0.0,
            "pnl_std_se": _std_se(res.pnl),
            "mean_pnl": float(res.pnl.mean()),
            "mean_pnl_se": _mean_se(res.pnl),
            "mean_cost": float(res.costs.mean()),
            "mean_cost_se": _mean_se(res.costs),
            "mean_trades": float(res.n_trades.mean()),
            "derman_kamal_std": float("nan"),
            "theory_std": float("nan"),
            "expected_cost": float("nan"),
        }
        if inputs is not None:
            if to_expiry:
                row["derman_kamal_std"] = theory.derman_kamal_std(vega, sigma, c)
            if within:
                common = dict(
                    spot=float(spot),
                    volatility=sigma,
                    n_rebalances=c,
                    horizon=t,
                    rate=r,
                    dividend_yield=q,
                    drift=drift,
                )
                row["theory_std"] = theory.hedge_error_std(book, **common)
                row["expected_cost"] = theory.expected_rebalancing_cost(
                    book, proportional=k, **common
                )
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("n_rebalances")
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["std_ratio"] = frame["pnl_std"] / frame["derman_kamal_std"]
    return frame


def cost_risk_frontier(
    model: Any, book: Any, setup: HedgeSetup, *, spot: float, horizon: float, n_steps: int,
    n_paths: int, seed: int | np.random.SeedSequence, every: Iterable[int] = (1, 2, 5, 10, 21),
    band_widths: Iterable[float] = (0.01, 0.02, 0.05, 0.1, 0.2),
    risk_aversions: Iterable[float] = (0.1, 1.0, 10.0, 100.0), band_to: str = "target",
    chunk_size: int | None = None, executor: Executor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE, progress: Progress | None = None,
) -> pd.DataFrame:
    """Mean cost against P&L standard deviation across rebalancing rules, on the same paths.

    Parameters
    ----------
    model, book, spot, horizon, n_steps, n_paths, seed, chunk_size, executor, block_size, progress
        As in :func:`~hedgelib.hedging.experiment.run_experiment`.
    setup : HedgeSetup
        The hedge every rule runs with (its own rule is replaced); its cost model should
        have ``proportional > 0`` for Whalley-Wilmott to have a band.
    every : iterable of int, default (1, 2, 5, 10, 21)
        Intervals of :class:`~hedgelib.hedging.rules.EveryNSteps`, in grid steps; those
        longer than ``n_steps`` are dropped.
    band_widths : iterable of float, default (0.01, 0.02, 0.05, 0.1, 0.2)
        Half-widths of :class:`~hedgelib.hedging.rules.DeltaBand`, in shares of delta
        (scale them with the size of the book).
    risk_aversions : iterable of float, default (0.1, 1, 10, 100)
        Risk aversions of :class:`~hedgelib.hedging.rules.WhalleyWilmott`, per unit of
        currency.
    band_to : {"target", "edge"}, default "target"
        Where a :class:`DeltaBand` trade goes.
    Returns
    -------
    pandas.DataFrame
        One row per rule: ``family`` ("every_n_steps", "delta_band", "whalley_wilmott"),
        ``parameter``, ``label``, ``mean_cost``, ``mean_cost_se``, ``pnl_std``,
        ``pnl_std_se``, ``mean_pnl``, ``mean_trades``, and ``efficient``: True when no other
        rule has both a lower mean cost and a lower standard deviation (the frontier).

    Notes
    -----
    All rules hedge the same paths (common random numbers), so the frontier's shape is not
    blurred by path noise. Whalley and Wilmott's band is the asymptotically optimal
    trade-off for exponential utility, so its points should lie on or near the frontier.

    References
    ----------
    Whalley and Wilmott (1997), *Mathematical Finance* 7(3); Leland (1985).

    Examples
    --------
    >>> from hedgelib import GBM, Book, OptionLeg, TransactionCosts
    >>> book = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> setup = HedgeSetup(0.2, rate=0.05, costs=TransactionCosts(proportional=1e-3))
    >>> df = cost_risk_frontier(GBM(0.05, 0.2), book, setup, spot=100.0, horizon=1 / 12,
    ...                         n_steps=21, n_paths=1000, seed=3, every=(1, 5),
    ...                         band_widths=(0.05,), risk_aversions=(1.0,))
    >>> list(df["label"])
    ['every 1 step', 'every 5 steps', 'band 0.05', 'Whalley-Wilmott 1']
    """
    if not isinstance(setup, HedgeSetup):
        raise HedgeLibError(f"setup must be a HedgeSetup, got {type(setup).__name__}")
    n = check_int(n_steps, "n_steps", minimum=1, maximum=MAX_STEPS)
    rules: list[tuple[str, float, str, Any]] = []
    for e in sorted({check_int(x, "every", minimum=1) for x in check_values(every, "every")}):
        if e <= n:
            label = "every 1 step" if e == 1 else f"every {e} steps"
            rules.append(("every_n_steps", float(e), label, EveryNSteps(e)))
    for w in sorted({check_scalar(x, "band_widths", check_positive) for x in check_values(band_widths, "band_widths")}):
        rules.append(("delta_band", w, f"band {w:g}", DeltaBand(w, to=band_to)))
    for g in sorted({check_scalar(x, "risk_aversions", check_positive) for x in check_values(risk_aversions, "risk_aversions")}):
        rules.append(("whalley_wilmott", g, f"Whalley-Wilmott {g:g}", WhalleyWilmott(g)))
    if not rules:
        raise HedgeLibError("every, band_widths and risk_aversions leave no rule to run")
    cmp = compare(
        model, book, {label: setup.replace(rule=rule) for _, _, label, rule in rules}, spot=spot,
        horizon=horizon, n_steps=n, n_paths=n_paths, seed=seed, chunk_size=chunk_size,
        executor=executor, block_size=block_size, progress=progress,
    )
    rows = []
    for family, param, label, _ in rules:
        res = cmp.results[label]
        rows.append(
            {
                "family": family,
                "parameter": param,
                "label": label,
                "mean_cost": float(res.costs.mean()),
                "mean_cost_se": _mean_se(res.costs),
                "pnl_std": float(res.pnl.std(ddof=1)) if res.n_paths > 1 else 0.0,
                "pnl_std_se": _std_se(res.pnl),
                "mean_pnl": float(res.pnl.mean()),
                "mean_trades": float(res.n_trades.mean()),
            }
        )
    frame = pd.DataFrame(rows)
    c = frame["mean_cost"].to_numpy()
    s = frame["pnl_std"].to_numpy()
    dominated = ((c[None, :] < c[:, None]) & (s[None, :] < s[:, None])).any(axis=1)
    frame["efficient"] = ~dominated
    # The Whalley-Wilmott band's half-width today, to read the rule in shares.
    k = setup.proportional
    sigma0 = float(np.ravel(setup.hedge_volatility)[0])
    gamma0 = float(book.greeks(float(spot), sigma0, rate=setup.rate, dividend_yield=setup.dividend_yield).gamma)
    frame["band_today"] = [
        float(theory.whalley_wilmott_half_width(float(spot), gamma0, k, p, setup.rate, float(horizon)))
        if fam == "whalley_wilmott" and k > 0 else float("nan")
        for fam, p in zip(frame["family"], frame["parameter"], strict=True)
    ]
    return frame


def theory_curve(
    book: Any, setup: HedgeSetup, *, spot: float, horizon: float, n_steps: int,
    drift: float | None = None,
) -> pd.DataFrame:
    """What theory predicts for fixed-interval delta hedging at ``N = 1..n_steps`` rebalances.

    Returns
    -------
    pandas.DataFrame
        Columns ``n_rebalances``, ``std`` (:func:`hedgelib.theory.hedge_error_std`, the book's
        gamma integrated), ``cost`` (:func:`hedgelib.theory.expected_rebalancing_cost` at the
        set-up's proportional cost) and ``leland_vol`` (:func:`hedgelib.theory.leland_volatility`
        for the book's side), about a dozen counts spread in log scale. Empty when the formulas
        do not apply: a volatility that is not one number, or a horizon past the book's first
        expiry (they follow one unchanged book).

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> book = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> curve = theory_curve(book, HedgeSetup(0.2), spot=100.0, horizon=1 / 12, n_steps=21)
    >>> list(curve["n_rebalances"])[:3], bool(curve["std"].is_monotonic_decreasing)
    ([1, 2, 3], True)
    """
    cols = ["n_rebalances", "std", "cost", "leland_vol"]
    n = check_int(n_steps, "n_steps", minimum=1, maximum=MAX_STEPS)
    t = check_scalar(horizon, "horizon", check_positive_years)
    if np.ndim(setup.hedge_volatility) or not book.legs or t > book.first_expiry * (1 + 1e-12):
        return pd.DataFrame(columns=cols)
    sigma, k, r, q = float(setup.hedge_volatility), setup.proportional, setup.rate, setup.dividend_yield
    gamma0 = float(book.greeks(float(spot), sigma, rate=r, dividend_yield=q).gamma)
    common = {"spot": float(spot), "volatility": sigma, "horizon": t, "rate": r,
              "dividend_yield": q, "drift": drift}
    rows = []
    for m in sorted({int(round(x)) for x in np.geomspace(1, n, min(n, 12))}):
        rows.append({
            "n_rebalances": m,
            "std": theory.hedge_error_std(book, n_rebalances=m, **common),
            "cost": theory.expected_rebalancing_cost(book, proportional=k, n_rebalances=m, **common),
            "leland_vol": theory.leland_volatility(sigma, k, t / m, position="short" if gamma0 < 0 else "long"),
        })
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class Prediction:
    """What Derman and Kamal predict for a set-up's hedged P&L, or why they do not apply.

    ``std`` is the at-the-money closed form :math:`\\sqrt{\\pi/4}\\,\\mathcal V\\sigma/\\sqrt N`
    (:func:`hedgelib.theory.derman_kamal_std`); ``numerical_std`` integrates the book's own
    gamma (:func:`hedgelib.theory.hedge_error_std`). Both are None when the set-up is outside
    the formula's assumptions, and ``reasons`` says which.
    """

    std: float | None
    numerical_std: float | None
    n_rebalances: float
    reasons: tuple[str, ...] = ()

    @property
    def applies(self) -> bool:
        return self.std is not None


def predicted_hedge_error(
    model: Any, book: Any, setup: HedgeSetup, *, spot: float, horizon: float, n_steps: int
) -> Prediction:
    """The Derman-Kamal prediction of the hedged P&L's standard deviation for one set-up.

    It applies to a plain delta hedge rebalanced at a fixed interval that divides the grid,
    on GBM paths whose volatility is the hedge volatility, for a book whose legs share one
    expiry; otherwise ``reasons`` lists what is outside its assumptions. Costs are not in the
    formula.

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> book = Book([OptionLeg("call", 100.0, 0.25, -1.0)])
    >>> p = predicted_hedge_error(GBM(0.05, 0.2), book, HedgeSetup(0.2), spot=100.0,
    ...                           horizon=0.25, n_steps=63)
    >>> round(p.std, 3), p.n_rebalances
    (0.445, 63.0)
    """
    from hedgelib.market.models import GBM

    if not isinstance(setup, HedgeSetup):
        raise HedgeLibError(f"setup must be a HedgeSetup, got {type(setup).__name__}")
    if not hasattr(book, "legs") or not hasattr(book, "expiries"):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    spot = check_scalar(spot, "spot", check_price)
    horizon = check_scalar(horizon, "horizon", check_positive_years)
    n = check_int(n_steps, "n_steps", minimum=1, maximum=MAX_STEPS)
    rule = setup.rule
    every = rule.n if isinstance(rule, EveryNSteps) else 1
    n_reb = n / every
    reasons = []
    if not isinstance(model, GBM):
        reasons.append("the model is not GBM")
    if getattr(setup.strategy, "name", None) != "delta":
        reasons.append("the strategy is not a plain delta hedge")
    if not isinstance(rule, EveryNSteps):
        reasons.append("the rule is not a fixed interval")
    elif n % every:
        reasons.append("the interval does not divide the steps evenly")
    sigma = model.volatility if isinstance(model, GBM) else None
    if np.ndim(setup.hedge_volatility) or (sigma is not None and setup.hedge_volatility != sigma):
        reasons.append("the hedge volatility differs from the realised one")
    if len(book.expiries) != 1:
        reasons.append("the book's legs expire on different dates")
    if reasons:
        return Prediction(None, None, n_reb, tuple(reasons))
    r, q = setup.rate, setup.dividend_yield
    vega = float(book.greeks(float(spot), sigma, rate=r, dividend_yield=q).vega)
    closed = float(theory.derman_kamal_std(vega, sigma, n_reb))
    numerical = float(theory.hedge_error_std(
        book, spot=float(spot), volatility=sigma, n_rebalances=int(n_reb), horizon=float(horizon),
        rate=r, dividend_yield=q, drift=model.drift,
    ))
    return Prediction(closed, numerical, n_reb)
