"""Portfolio insurance on simulated paths and on real history: the runner and its result.

:func:`run_insurance` (one strategy) and :func:`compare_insurance` (several, on the same paths)
invest a capital along the paths of a market model (or a :class:`~hedgelib.market.paths.Paths`
object) following an insurance strategy (:mod:`hedgelib.portfolio.strategies`), with the
engine's parts: a rule says which paths trade (:class:`~hedgelib.hedging.rules.EveryNSteps`,
:class:`~hedgelib.portfolio.strategies.ExposureBand`, or any rule), a cost model says what a
trade costs (:class:`~hedgelib.hedging.costs.TransactionCosts`). :func:`insurance_backtest`
runs one strategy on one stretch of real history (one path) and :func:`insurance_programme`
repeats it year after year.

Bookkeeping
-----------
At t = 0 the capital :math:`C_0` is cash; every path trades to its target (paying costs). At
each later grid time, cash has earned :math:`e^{r\\,\\delta t}` and the shares held have paid
the dividend yield into cash, :math:`x\\,(e^{q\\,\\delta t} - 1)\\,S_{i+1}` (the engine's
convention); the portfolio is marked, :math:`V = xS + \\text{cash}` (+ puts held at their
Black-Scholes value), the strategy gives its target exposure and the rule decides who trades.
Costs are paid in cash, so they come out of the portfolio (and can push it below the floor).
Nothing is sold at the horizon: :math:`V_T` is the marked value.

Simulation
----------
Paths come in seeded blocks as in :mod:`hedgelib.hedging.experiment`: block ``i`` of
``block_size`` paths is simulated by ``model.simulate_blocks`` from child ``i`` of
``SeedSequence(seed)``, a chunk is a whole number of blocks, and every operation is per path,
so the result is bit-identical whatever the chunking (and the same seed and block size give
the same paths as :func:`~hedgelib.hedging.experiment.run_experiment`).

References
----------
Black and Perold (1992); Leland and Rubinstein (1988); Derman and Kamal (1999), *Risk* 12(1);
Glasserman, *Monte Carlo Methods in Financial Engineering* (2004), 1.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgelib._parallel import thread_map
from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    MAX_ELEMENTS,
    MAX_STEPS,
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_int,
    check_positive_years,
    check_price,
    check_rate,
    check_scalar,
    check_size,
)
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.experiment import DEFAULT_BLOCK_SIZE
from hedgelib.hedging.rules import EveryNSteps
from hedgelib.market.paths import Paths
from hedgelib.portfolio._runner import BREACH_TOL, Chunk, Run, run_chunk
from hedgelib.portfolio.strategies import floor_curve

__all__ = [
    "InsuranceResult",
    "compare_insurance",
    "run_insurance",
]

# Paths per chunk: the per-step Python work is paid once per chunk and step, and beyond this
# the step's working arrays leave the core's cache (as in the hedging experiments).
_CHUNK_PATHS = 16384


@dataclass(frozen=True, eq=False)
class InsuranceResult:
    """What an insured portfolio did on every path.

    Attributes
    ----------
    label : str
        The strategy's name for display (``"CPPI (m = 3)"``).
    strategy : object
        The strategy spec.
    times : ndarray, shape (n_steps + 1,)
        Years from the start.
    value : ndarray, shape (n_steps + 1, n_paths)
        Portfolio value in currency at each grid time, after that time's trades and costs
        (row 0: the capital less the first trades' costs; the last row: the terminal value).
    exposure : ndarray, shape (n_steps + 1, n_paths)
        Currency held in the risky asset after each time's trade (puts count by their delta).
    floor : ndarray, shape (n_steps + 1,)
        The guaranteed floor in currency, :math:`f C_0 e^{-r(T - t)}`, the same on every path
        (a TIPP's ratcheted floor is its own trading rule; the guarantee is this one).
    floor_breached : ndarray of bool, shape (n_paths,)
        Whether the value was below the floor at some grid time.
    costs : ndarray, shape (n_paths,)
        Transaction costs paid, currency; ``cost_breakdown`` by component.
    turnover : ndarray, shape (n_paths,)
        Traded notional (stock and options) over the run, in multiples of the capital.
    n_trades : ndarray of int, shape (n_paths,)
        Grid times at which the path traded, t = 0 included.
    max_drawdown : ndarray, shape (n_paths,)
        Largest fall of the value from its running peak, as a fraction of the peak.
    spot_start, spot_end : ndarray, shape (n_paths,)
        The risky asset at the start and at the horizon.
    benchmark : ndarray, shape (n_paths,)
        Buy-and-hold terminal value with dividends reinvested and no costs,
        :math:`C_0\\,(S_T/S_0)\\,e^{qT}`: what "upside" is measured against.
    capital : float
        Initial capital, currency.
    premium : float
        Upfront cost of puts bought outright (:class:`ProtectivePut`): :math:`nP(K)`; 0 otherwise.
    dates : pandas.DatetimeIndex or None
        The dates of the grid on real history (:func:`insurance_backtest`).
    """

    label: str
    strategy: Any
    times: FloatArray
    value: FloatArray
    exposure: FloatArray
    floor: FloatArray
    floor_breached: np.ndarray
    costs: FloatArray
    cost_breakdown: dict[str, FloatArray]
    turnover: FloatArray
    n_trades: np.ndarray
    max_drawdown: FloatArray
    spot_start: FloatArray
    spot_end: FloatArray
    benchmark: FloatArray
    capital: float
    premium: float = 0.0
    dates: pd.DatetimeIndex | None = field(default=None)

    def __repr__(self) -> str:
        return (f"InsuranceResult({self.label!r}, n_paths={self.n_paths}, n_steps={self.n_steps}, "
                f"mean_terminal={float(self.terminal_value.mean()):.6g})")

    @property
    def n_paths(self) -> int:
        return int(self.value.shape[1])

    @property
    def n_steps(self) -> int:
        return int(self.value.shape[0] - 1)

    @property
    def horizon(self) -> float:
        return float(self.times[-1])

    @property
    def terminal_value(self) -> FloatArray:
        """Portfolio value at the horizon, shape (n_paths,)."""
        return self.value[-1]

    @property
    def terminal_floor(self) -> float:
        """The floor at the horizon, currency."""
        return float(self.floor[-1])

    def quantiles(self, levels: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
        """Quantiles of the value across paths at each time: index ``time``, one column per level."""
        qs = np.quantile(self.value, list(levels), axis=1)
        return pd.DataFrame(qs.T, index=pd.Index(self.times, name="time"), columns=list(levels))

    def summary(self) -> dict[str, float]:
        """Headline statistics of the terminal value, the floor, the upside and the costs.

        Keys: ``mean_terminal``, ``std_terminal``, ``q01``, ``q05``, ``q25``, ``median``,
        ``q75``, ``q95`` (terminal value, currency); ``mean_return`` (mean of
        :math:`V_T/C_0 - 1`); ``breach_probability`` (value below the floor at some grid
        time), ``terminal_breach_probability`` (:math:`V_T < F_T`), ``expected_shortfall``
        (:math:`E[(F_T - V_T)^+]`), ``shortfall_given_breach`` (:math:`E[F_T - V_T \\mid V_T <
        F_T]`, 0 when no path ends below); ``upside_capture`` (mean gain over the capital on
        the paths where buy-and-hold gained, over buy-and-hold's mean gain there; NaN when it
        never gained), ``upside_given_up`` (mean of buy-and-hold minus the value on those
        paths: the price of the insurance in a rising market), ``mean_vs_buy_and_hold``;
        ``max_drawdown`` (mean over paths), ``worst_drawdown``; ``mean_cost``,
        ``mean_turnover``, ``mean_trades``, ``premium``, ``floor`` (:math:`F_T`), ``capital``.
        """
        v, c, f = self.terminal_value, self.capital, self.terminal_floor
        bh = self.benchmark
        tol = BREACH_TOL * c
        below = v < f - tol
        short = np.maximum(f - v, 0.0)
        up = bh > c
        q01, q05, q25, q50, q75, q95 = np.quantile(v, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95])
        gain_bh = float((bh[up] - c).mean()) if up.any() else math.nan
        return {
            "mean_terminal": float(v.mean()),
            "std_terminal": float(v.std(ddof=1)) if v.size > 1 else 0.0,
            "q01": float(q01), "q05": float(q05), "q25": float(q25), "median": float(q50),
            "q75": float(q75), "q95": float(q95),
            "mean_return": float(v.mean() / c - 1.0),
            "breach_probability": float(self.floor_breached.mean()),
            "terminal_breach_probability": float(below.mean()),
            "expected_shortfall": float(short.mean()),
            "shortfall_given_breach": float(short[below].mean()) if below.any() else 0.0,
            "upside_capture": float((v[up] - c).mean() / gain_bh) if up.any() and gain_bh > 0 else math.nan,
            "upside_given_up": float((bh[up] - v[up]).mean()) if up.any() else math.nan,
            "mean_vs_buy_and_hold": float((v - bh).mean()),
            "max_drawdown": float(self.max_drawdown.mean()),
            "worst_drawdown": float(self.max_drawdown.max()),
            "mean_cost": float(self.costs.mean()),
            "mean_turnover": float(self.turnover.mean()),
            "mean_trades": float(self.n_trades.mean()),
            "premium": float(self.premium),
            "floor": f,
            "capital": c,
        }


# --------------------------------------------------------------------------------------------
# checks and the public entry points


def _check_strategies(strategies: Any) -> dict[str, Any]:
    if not isinstance(strategies, Mapping):
        raise HedgeLibError(f"strategies must be a mapping of name to strategy, got {strategies!r}")
    if not strategies:
        raise HedgeLibError("strategies must hold at least one strategy, got none")
    out = {}
    for name, spec in strategies.items():
        if not isinstance(name, str) or not name:
            raise HedgeLibError(f"strategies must be keyed by non-empty names, got {name!r}")
        if not (callable(getattr(spec, "policy", None)) and hasattr(spec, "static")
                and callable(getattr(spec, "floor_expiry", None))):
            raise HedgeLibError(
                f"strategies[{name!r}] must be an insurance strategy (CPPI, SyntheticPut, "
                f"ProtectivePut, BuyAndHold or one with policy, static and floor_expiry), got {spec!r}"
            )
        out[name] = spec
    return out


def _check_parts(rule: Any, costs: Any) -> tuple[Any, Any]:
    rule = EveryNSteps(1) if rule is None else rule
    costs = TransactionCosts() if costs is None else costs
    if not callable(getattr(rule, "decide", None)):
        raise HedgeLibError(f"rule must be a rule with a decide method, got {rule!r}")
    if not callable(getattr(costs, "charge", None)) or not hasattr(costs, "components"):
        raise HedgeLibError(f"costs must be a cost model with charge and components, got {costs!r}")
    return rule, costs


def _floors(strategies: Mapping[str, Any], times: FloatArray, capital: float, rate: float) -> dict[str, FloatArray]:
    horizon = float(times[-1])
    out = {}
    for name, spec in strategies.items():
        f = getattr(spec, "floor", None)
        if f is None:
            out[name] = np.zeros(times.size)
            continue
        curve = floor_curve(float(f), capital, times, spec.floor_expiry(horizon), rate)
        if curve[0] >= capital:
            raise HedgeLibError(
                f"floor of {name!r} is worth {curve[0]:.6g} today, at least the capital "
                f"{capital:.6g}: with a negative rate the floor must be lower, got floor={f!r}"
            )
        out[name] = curve
    return out


def _realised_volatility(spot: FloatArray, times: FloatArray) -> float:
    r = np.diff(np.log(spot), axis=0)
    dt = np.diff(times).reshape(-1, 1)
    var = float(np.mean(r * r / dt)) if r.size else 0.0
    return math.sqrt(var) if var > 0 else 0.2


def _model_dividend(model: Any, dividend_yield: float) -> None:
    q_model = getattr(model, "dividend_yield", None)
    if q_model is not None and not math.isclose(float(q_model), dividend_yield, abs_tol=1e-12):
        raise HedgeLibError(
            f"dividend_yield must equal the model's dividend_yield ({float(q_model)!r}): the "
            f"simulated price is ex-dividend at the model's yield, got {dividend_yield!r}"
        )


def compare_insurance(
    strategies: Mapping[str, Any], market: Any, *, capital: float, spot: float | None = None,
    horizon: float | None = None, n_steps: int | None = None, n_paths: int | None = None,
    seed: int | np.random.SeedSequence | None = None, rate: float = 0.0,
    dividend_yield: float = 0.0, rule: Any = None, costs: Any = None,
    chunk_size: int | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
    executor: Executor | None = None, progress: Callable[[int, int], Any] | None = None,
) -> dict[str, InsuranceResult]:
    """Several insurance strategies on the same paths; arguments as :func:`run_insurance`.

    Returns
    -------
    dict of str to InsuranceResult
        One result per strategy, in the order given.

    Examples
    --------
    >>> from hedgelib.market.models import GBM
    >>> from hedgelib.portfolio.strategies import CPPI, BuyAndHold
    >>> res = compare_insurance({"cppi": CPPI(3.0, 0.9), "hold": BuyAndHold(0.9)}, GBM(0.05, 0.2),
    ...                         capital=100.0, horizon=1.0, n_steps=52, n_paths=500, seed=1)
    >>> res["cppi"].summary()["breach_probability"], res["hold"].summary()["breach_probability"] > 0
    (0.0, True)
    """
    specs = _check_strategies(strategies)
    c0 = check_scalar(capital, "capital", check_price)
    r = check_scalar(rate, "rate", check_rate)
    q = check_scalar(dividend_yield, "dividend_yield", check_rate)
    rule, costs = _check_parts(rule, costs)
    bsz = check_int(block_size, "block_size", minimum=1, maximum=MAX_ELEMENTS)
    if progress is not None and not callable(progress):
        raise HedgeLibError(f"progress must be callable as progress(done_paths, total), got {progress!r}")
    if executor is not None and not callable(getattr(executor, "map", None)):
        raise HedgeLibError(f"executor must be a concurrent.futures.Executor, got {executor!r}")
    if isinstance(market, Paths):
        given = [k for k, v in (("spot", spot), ("horizon", horizon), ("n_steps", n_steps),
                                ("n_paths", n_paths), ("seed", seed)) if v is not None]
        if given:
            raise HedgeLibError(f"give {', '.join(given)} with a market model, not with Paths (they come from the paths)")
        times = np.asarray(market.times, dtype=np.float64)
        m = market.n_paths
        vols = _realised_volatility(market.spot, times)
        size = _CHUNK_PATHS if chunk_size is None else check_int(chunk_size, "chunk_size", minimum=1, maximum=MAX_ELEMENTS)
        tasks_cols = [(a, min(a + size, m)) for a in range(0, m, size)]
        model = None
    elif callable(getattr(market, "simulate", None)):
        model = market
        _model_dividend(model, q)
        s0 = 100.0 if spot is None else check_scalar(spot, "spot", check_price)
        t_end = 1.0 if horizon is None else check_scalar(horizon, "horizon", check_positive_years)
        n = (max(1, round(t_end * TRADING_DAYS_PER_YEAR)) if n_steps is None
             else check_int(n_steps, "n_steps", minimum=1, maximum=MAX_STEPS))
        m = 10_000 if n_paths is None else check_int(n_paths, "n_paths", minimum=1, maximum=MAX_ELEMENTS)
        times = np.linspace(0.0, t_end, n + 1)
        vols = float(getattr(model, "long_run_volatility", 0.2))
    else:
        raise HedgeLibError(f"market must be a market model (with simulate) or a Paths object, got {market!r}")
    volatility = {name: float(getattr(spec, "volatility", vols)) for name, spec in specs.items()}
    run = Run(specs, times, c0, r, q, rule, costs, volatility, _floors(specs, times, c0, r))

    if model is None:
        tasks = [Chunk(run, None, 0.0, (), (b - a,), np.ascontiguousarray(market.spot[:, a:b]))
                 for a, b in tasks_cols]
    else:
        if seed is None:
            root = np.random.SeedSequence()
        elif isinstance(seed, np.random.SeedSequence):
            root = seed
        elif isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0:
            root = np.random.SeedSequence(int(seed))
        else:
            raise HedgeLibError(f"seed must be None, a non-negative int or a SeedSequence, got {seed!r}")
        n_blocks = -(-m // bsz)
        sizes = [min(bsz, m - i * bsz) for i in range(n_blocks)]
        if chunk_size is None:
            per = max(1, _CHUNK_PATHS // bsz)
        else:
            c = check_int(chunk_size, "chunk_size", minimum=1, maximum=MAX_ELEMENTS)
            if c % bsz:
                raise HedgeLibError(
                    f"chunk_size must be a whole number of blocks (a multiple of block_size={bsz}), got {c}"
                )
            per = c // bsz
        seeds = root.spawn(n_blocks)
        tasks = [Chunk(run, model, s0, tuple(seeds[c0_:c0_ + per]), tuple(sizes[c0_:c0_ + per]))
                 for c0_ in range(0, n_blocks, per)]
    return _collect(run, tasks, m, executor, progress)


def _collect(run: Run, tasks: list[Chunk], m: int, executor: Executor | None,
             progress: Callable[[int, int], Any] | None) -> dict[str, InsuranceResult]:
    n1 = run.times.size
    # The result keeps value and exposure for every time and path of every strategy.
    check_size(2 * len(run.strategies) * n1 * m,
               f"n_paths={m:,} x {n1:,} times (the value and exposure of every path are kept)")
    value = {name: np.empty((n1, m)) for name in run.strategies}
    expo = {name: np.empty((n1, m)) for name in run.strategies}
    starts = [int(a) for a in np.cumsum([0] + [sum(t.sizes) for t in tasks])[:-1]]
    parts: list[dict[str, dict[str, Any]] | None] = [None] * len(tasks)
    done = 0
    if progress is not None:
        progress(0, m)

    def views(k: int) -> dict[str, tuple[FloatArray, FloatArray]]:
        a, b = starts[k], starts[k] + sum(tasks[k].sizes)
        return {name: (value[name][:, a:b], expo[name][:, a:b]) for name in run.strategies}

    def finished(k: int, part: dict[str, dict[str, Any]]) -> None:
        nonlocal done
        if executor is not None:
            # From another process: the grids come back with the results.
            for name, (v_view, e_view) in views(k).items():
                v_view[...] = part[name].pop("value")
                e_view[...] = part[name].pop("exposure")
        parts[k] = part
        done += sum(tasks[k].sizes)
        if progress is not None:
            progress(done, m)

    if executor is None:
        # Threads share memory: each chunk writes its columns of the run's grids in place.
        def work(k: int) -> tuple[int, dict[str, dict[str, Any]]]:
            return k, run_chunk(tasks[k], views(k))

        if len(tasks) > 1 and progress is None:
            for k, part in thread_map(work, range(len(tasks))):
                finished(k, part)
        else:
            for k in range(len(tasks)):
                finished(*work(k))
    else:
        for k, part in enumerate(executor.map(run_chunk, tasks)):
            finished(k, part)

    q, horizon = run.dividend_yield, float(run.times[-1])
    out = {}
    for name, spec in run.strategies.items():
        res = [p[name] for p in parts if p is not None]

        def cat(key: str, res: list = res) -> np.ndarray:
            return np.concatenate([r[key] for r in res])

        s_start, s_end = cat("spot_start"), cat("spot_end")
        out[name] = InsuranceResult(
            label=str(getattr(spec, "label", name)), strategy=spec, times=run.times.copy(),
            value=value[name], exposure=expo[name], floor=run.floors[name],
            floor_breached=cat("floor_breached"), costs=cat("costs"),
            cost_breakdown={c: np.concatenate([r["cost_breakdown"][c] for r in res])
                            for c in res[0]["cost_breakdown"]},
            turnover=cat("turnover"), n_trades=cat("n_trades"), max_drawdown=cat("max_drawdown"),
            spot_start=s_start, spot_end=s_end,
            benchmark=run.capital * (s_end / s_start) * math.exp(q * horizon),
            capital=run.capital, premium=res[0]["premium"],
        )
    return out


def run_insurance(
    strategy: Any, market: Any, *, capital: float, spot: float | None = None,
    horizon: float | None = None, n_steps: int | None = None, n_paths: int | None = None,
    seed: int | np.random.SeedSequence | None = None, rate: float = 0.0,
    dividend_yield: float = 0.0, rule: Any = None, costs: Any = None,
    chunk_size: int | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
    executor: Executor | None = None, progress: Callable[[int, int], Any] | None = None,
) -> InsuranceResult:
    """Insure a portfolio along simulated (or given) paths with one strategy.

    Parameters
    ----------
    strategy : CPPI, SyntheticPut, ProtectivePut or BuyAndHold
        The insurance (:mod:`hedgelib.portfolio.strategies`).
    market : market model or Paths
        A model (GBM, Heston, MertonJump, GARCH, ...), simulated with ``spot``, ``horizon``,
        ``n_steps``, ``n_paths`` and ``seed``; or a :class:`~hedgelib.market.paths.Paths`
        object (those five are then left out).
    capital : float
        Initial capital in currency, > 0.
    spot : float, optional
        Price of the risky asset today (default 100).
    horizon : float, optional
        Years insured (default 1).
    n_steps : int, optional
        Grid steps over the horizon (default one per trading day, ``round(252 horizon)``).
    n_paths : int, optional
        Simulated paths (default 10,000).
    seed : int or SeedSequence, optional
        Root of the random streams (default: fresh entropy, not reproducible).
    rate, dividend_yield : float, default 0.0
        Continuously compounded: cash earns the rate, shares pay the yield into cash. The
        yield must equal a model's own ``dividend_yield``.
    rule : Rule, default ``EveryNSteps(1)``
        Which paths trade at each later step: :class:`~hedgelib.hedging.rules.EveryNSteps`,
        :class:`~hedgelib.portfolio.strategies.ExposureBand` (deviation = exposure minus
        target over the value) or any rule. Every path trades at t = 0; static strategies
        never trade again.
    costs : CostModel, default ``TransactionCosts()`` (free)
        What trades cost; the impact component uses the strategy's volatility (or the model's
        long-run volatility, or the paths' realised one).
    chunk_size, block_size, executor, progress
        As in :func:`~hedgelib.hedging.experiment.run_experiment`; the chunking never changes
        a number. ``progress(done_paths, n_paths)`` is called as chunks finish.

    Returns
    -------
    InsuranceResult

    Raises
    ------
    HedgeLibError
        For a bad argument (named), a floor worth more than the capital today, a dividend
        yield that differs from the model's.

    Notes
    -----
    See the module notes for the bookkeeping and :mod:`hedgelib.portfolio.strategies` for
    each strategy's exposure. Under GBM with drift :math:`\\mu`, CPPI without a cap gives
    :math:`E[V_T] = F_T + C_0 e^{(r + m(\\mu - r))T}` in the continuous limit (Black and
    Perold 1992); on a grid of :math:`N` steps exactly :math:`F_T + C_0\\,(m e^{\\mu\\delta t}
    + (1 - m) e^{r\\delta t})^N` as long as no step falls by more than :math:`1/m`.

    Examples
    --------
    >>> from hedgelib.market.models import GBM
    >>> from hedgelib.portfolio.strategies import SyntheticPut
    >>> res = run_insurance(SyntheticPut(0.9, 0.2), GBM(0.05, 0.2), capital=100.0, horizon=1.0,
    ...                     n_steps=126, n_paths=1000, seed=3)
    >>> res.value.shape, float((res.terminal_value > 89.0).mean())  # floor 90, small misses
    ((127, 1000), 0.982)
    """
    return compare_insurance(
        {"strategy": strategy}, market, capital=capital, spot=spot, horizon=horizon,
        n_steps=n_steps, n_paths=n_paths, seed=seed, rate=rate, dividend_yield=dividend_yield,
        rule=rule, costs=costs, chunk_size=chunk_size, block_size=block_size, executor=executor,
        progress=progress,
    )["strategy"]
