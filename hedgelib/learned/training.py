"""Training of :class:`~hedgelib.learned.deep.DeepHedge` on JAX: the only module that loads it.

One training step is a single ``jax.jit``-compiled function: for a mini-batch of paths it
runs the hedge through every time step (``lax.scan``, the policy reading its own previous
hedge), ``vmap``-ed over paths, takes the risk measure of the hedged P&L, differentiates it
with respect to the weights and applies Adam (``optax``). The same code runs on a CPU or an
accelerator; JAX picks the device.

What is simulated where
-----------------------
Paths come from the library's market models (numpy, seeded), so any model of the engine can
be trained on. Everything that does not depend on the policy is computed once, in float64,
before training: the features other than ``prev_hedge``, the price gains, the interest
factors and the P&L of the book alone, which is taken from the engine itself
(:func:`~hedgelib.hedging.engine.simulate_hedge` with no hedge). The compiled step then does
only what the weights change: the hedges, the trades, their costs and the risk measure, in
float32.

The hedge account follows the engine's bookkeeping exactly. With :math:`x_i` the shares held
over step i, :math:`G_i = e^{r\\,\\delta t_i}` and :math:`c_i` the cost of the trade at
:math:`t_i`, the value :math:`W` of cash plus shares from hedging evolves as

.. math:: W_{i+1} = (W_i - c_i)\\,G_i + x_i\\,\\big(S_{i+1} e^{q\\,\\delta t_i} - S_i G_i\\big),
          \\qquad W_0 = 0,

and the hedge is liquidated at the horizon, paying :math:`c_N`. Carrying :math:`W` instead of
the cash account keeps float32 accurate: it never holds the notional of the shares.

Determinism: the initial weights come from ``jax.random`` keyed by the seed, the order of the
mini-batches from a numpy generator seeded by it, and XLA's CPU kernels are deterministic, so
the same seed gives the same weights on the same machine.

References
----------
Buehler, H., Gonon, L., Teichmann, J. and Wood, B. (2019), "Deep hedging", *Quantitative
Finance* 19(8). Kingma, D. P. and Ba, J. (2015), "Adam: a method for stochastic
optimization", ICLR.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax
from scipy.special import logsumexp

from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.learned.policy import Policy, alive_delta
from hedgelib.market.yahoo import yahoo_cache_dir

__all__ = ["TrainOutput", "TrainingData", "hedged_pnl", "risk", "train"]


def _keep_compiled_steps() -> None:
    """Keep compiled training steps on disk, in hedgelib's cache folder, unless JAX already
    has a cache folder or ``HEDGELIB_JAX_CACHE=0``: compiling a step costs seconds, reading a
    kept one a fraction of that (a new server, a new test run)."""
    if os.environ.get("HEDGELIB_JAX_CACHE", "1") == "0" or jax.config.jax_compilation_cache_dir:
        return
    jax.config.update("jax_compilation_cache_dir", str(yahoo_cache_dir() / "jax"))


_keep_compiled_steps()


@dataclass(frozen=True, eq=False)
class TrainingData:
    """The policy-independent arrays of a training set (float64; cast for the device).

    ``static`` (n_steps, n_paths, k) holds the scaled features other than ``prev_hedge``,
    in the order of ``static_columns``; ``gain`` (n_steps, n_paths) is
    :math:`S_{i+1}e^{q\\delta t} - S_i e^{r\\delta t}`; ``growth`` (n_steps,) is
    :math:`e^{r\\delta t}`; ``impact`` (n_steps + 1, n_paths) the impact cost per
    :math:`S|q|^{3/2}` (zero without impact); ``book_pnl`` (n_paths,) the book's P&L alone;
    ``delta`` (n_steps, n_paths) the Black-Scholes delta hedge per unit, the centre of a
    band network's band (zeros when nothing reads it).
    """

    static: np.ndarray
    static_columns: tuple[int, ...]
    prev_column: int | None
    spot: np.ndarray
    gain: np.ndarray
    growth: np.ndarray
    impact: np.ndarray
    book_pnl: np.ndarray
    delta: np.ndarray
    proportional: float
    unit: float
    volatility: float

    @property
    def n_steps(self) -> int:
        return int(self.gain.shape[0])

    @property
    def n_paths(self) -> int:
        return int(self.gain.shape[1])

    @classmethod
    def build(cls, paths: Any, book: Any, hedge_volatility: np.ndarray, rate: float,
              dividend_yield: float, *, features: tuple[str, ...], strike: float, unit: float,
              horizon: float, costs: dict[str, float], band: bool = False) -> TrainingData:
        """The training arrays of ``paths`` for a policy reading ``features``."""
        times, spot = paths.times, np.asarray(paths.spot, dtype=np.float64)
        n = times.size - 1
        m = spot.shape[1]
        v = np.asarray(hedge_volatility, dtype=np.float64)
        vol = np.broadcast_to(v.reshape(-1, 1) if v.ndim else v, (n + 1, m))
        sigma0 = float(np.mean(vol[0]))
        # The book alone, with the engine's own bookkeeping (premium at the hedge volatility).
        alone = simulate_hedge(book, paths, hedge_volatility=np.asarray(hedge_volatility),
                               pricing_volatility=sigma0, rate=rate, dividend_yield=dividend_yield,
                               strategy="none")
        probe = Policy((np.zeros((len(features), 1)),), (np.zeros(1),), features, strike, unit,
                       sigma0, horizon, book, rate, dividend_yield)
        static_names = [f for f in features if f != "prev_hedge"]
        static = np.empty((n, m, len(static_names)))
        deltas = np.zeros((n, m))
        for i in range(n):
            tau = max(horizon - float(times[i]), 0.0)
            if band or "delta" in static_names:
                deltas[i] = -alive_delta(book, spot[i], float(times[i]), vol[i], rate, dividend_yield) / unit
            row = probe.inputs(spot[i], tau, vol[i], 0.0, deltas[i])
            static[i] = row[:, [features.index(f) for f in static_names]]
        dt = np.diff(times)
        growth = np.exp(rate * dt)
        gain = spot[1:] * np.exp(dividend_yield * dt)[:, None] - spot[:-1] * growth[:, None]
        impact = np.zeros((n + 1, m))
        if costs["impact"] > 0:
            impact = vol * (costs["impact"] / math.sqrt(TRADING_DAYS_PER_YEAR)
                            / math.sqrt(costs["daily_volume"]))
        return cls(
            static=static, static_columns=tuple(features.index(f) for f in static_names),
            prev_column=features.index("prev_hedge") if "prev_hedge" in features else None,
            spot=spot, gain=gain, growth=growth, impact=impact,
            book_pnl=np.asarray(alone.pnl, dtype=np.float64), delta=deltas, proportional=costs["proportional"],
            unit=unit, volatility=sigma0,
        )


@dataclass(frozen=True)
class TrainOutput:
    """Trained weights and biases (float64 numpy), the mean loss of each epoch and the speed."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    history: tuple[float, ...]
    compile_seconds: float
    path_steps_per_second: float


# -- the risk measures, on device (training) and in numpy (reports) ------------------------------


def _tail_count(n: int, level: float) -> int:
    return max(1, math.ceil((1.0 - level) * n - 1e-9))


def _risk_jax(loss: str, x: jax.Array, risk_aversion: jax.Array, k: int) -> jax.Array:
    if loss == "entropic":
        return (jax.nn.logsumexp(-risk_aversion * x) - jnp.log(x.size)) / risk_aversion
    if loss == "cvar":
        return -jnp.mean(jnp.sort(x)[:k])
    return jnp.var(x)


def risk(loss: str, pnl: np.ndarray, *, risk_aversion: float = 1.0, level: float = 0.95) -> float:
    """The training loss of a P&L sample in numpy (float64): entropic risk, CVaR or variance."""
    x = np.asarray(pnl, dtype=np.float64)
    if loss == "entropic":
        return float((logsumexp(-risk_aversion * x) - math.log(x.size)) / risk_aversion)
    if loss == "cvar":
        return float(-np.mean(np.sort(x)[: _tail_count(x.size, level)]))
    return float(np.var(x))


# -- the compiled step ------------------------------------------------------------------------


def _head(params: list, h: jax.Array) -> jax.Array:
    for w, b in params[1:-1]:
        h = jax.nn.relu(h @ w + b)
    w, b = params[-1]
    return h @ w + b


@lru_cache(maxsize=32)
def _compiled_step(static_columns: tuple[int, ...], prev_column: int | None, loss: str, k: int,
                   band: bool) -> tuple[Callable[..., Any], Any]:
    """The jitted training step of one network structure, on one mini-batch (cached, and
    its compiled code is reused for any number of training paths: only the batch's shape
    enters it)."""
    adam = optax.scale_by_adam()
    rows = np.asarray(static_columns, dtype=np.int32)

    def path_pnl(params, static, gain, growth, spot, impact, book_pnl, delta, hyper):
        unit, prop = hyper["unit"], hyper["proportional"]
        w1, b1 = params[0]
        # The first layer's static part for every step at once; only the previous hedge's
        # column is left inside the time loop.
        pre = static @ w1[rows] + b1
        w_prev = w1[prev_column] if prev_column is not None else None

        def cost(dq, s, imp):
            # Proportional plus square-root impact (imp is zero without impact): one compiled
            # step serves both. The 1e-12 keeps the gradient of sqrt finite at no trade.
            a = jnp.abs(dq)
            return (prop + imp * jnp.sqrt(a + 1e-12)) * a * s

        def step(carry, inp):
            prev, wealth = carry
            p, g, grow, s, imp, d = inp
            a = p if w_prev is None else p + (prev / unit) * w_prev
            out = _head(params, jax.nn.relu(a))
            if band:
                # The previous hedge clipped to the band [d - softplus(o0), d + softplus(o1)].
                x = unit * jnp.clip(prev / unit, d - jax.nn.softplus(out[0]), d + jax.nn.softplus(out[1]))
            else:
                x = unit * out[0]
            wealth = (wealth - cost(x - prev, s, imp)) * grow + x * g
            return (x, wealth), None

        zero = jnp.zeros((), dtype=gain.dtype)
        (last, wealth), _ = lax.scan(step, (zero, zero), (pre, gain, growth, spot[:-1], impact[:-1], delta))
        return book_pnl + wealth - cost(-last, spot[-1], impact[-1])

    batch_pnl = jax.vmap(path_pnl, in_axes=(None, 1, 1, None, 1, 1, 0, 1, None))

    def objective(params, static, gain, growth, spot, impact, book_pnl, delta, hyper):
        x = batch_pnl(params, static, gain, growth, spot, impact, book_pnl, delta, hyper)
        return _risk_jax(loss, x, hyper["risk_aversion"], k)

    def step_fn(params, opt_state, batch, growth, hyper):
        static, gain, spot, impact, book_pnl, delta = batch
        value, grads = jax.value_and_grad(objective)(params, static, gain, growth, spot, impact,
                                                     book_pnl, delta, hyper)
        updates, opt_state = adam.update(grads, opt_state)
        params = jax.tree_util.tree_map(lambda p, u: p - hyper["learning_rate"] * u, params, updates)
        return params, opt_state, value

    return jax.jit(step_fn), adam


@jax.jit
def _gather(arrays: tuple[jax.Array, ...], idx: jax.Array) -> tuple[jax.Array, ...]:
    """The mini-batch's columns (paths are the last axis but one of static, the last of the
    others): kept apart from the step so that the step compiles for the batch's shape only."""
    static, gain, spot, impact, book_pnl, delta = arrays
    return (jnp.take(static, idx, axis=1), jnp.take(gain, idx, axis=1), jnp.take(spot, idx, axis=1),
            jnp.take(impact, idx, axis=1), jnp.take(book_pnl, idx), jnp.take(delta, idx, axis=1))


def _init(key: jax.Array, sizes: list[int]) -> list[tuple[jax.Array, jax.Array]]:
    """PyTorch's default for a linear layer: weights and biases U(-1/sqrt(fan_in), +)."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        key, kw, kb = jax.random.split(key, 3)
        bound = 1.0 / math.sqrt(fan_in)
        params.append((jax.random.uniform(kw, (fan_in, fan_out), jnp.float32, -bound, bound),
                       jax.random.uniform(kb, (fan_out,), jnp.float32, -bound, bound)))
    return params


def hedged_pnl(policy: Policy, data: TrainingData) -> np.ndarray:
    """The P&L of every training path under ``policy`` (its numpy forward pass, float64):
    the recursion of the module notes, path by path as in training."""
    n, m = data.n_steps, data.n_paths
    x_prev = np.zeros(m)
    wealth = np.zeros(m)
    inputs = np.empty((m, len(data.static_columns) + (data.prev_column is not None)))
    cols = list(data.static_columns)

    def cost(dq: np.ndarray, i: int) -> np.ndarray:
        a = np.abs(dq)
        return (data.proportional + data.impact[i] * np.sqrt(a)) * a * data.spot[i]

    for i in range(n):
        inputs[:, cols] = data.static[i]
        if data.prev_column is not None:
            inputs[:, data.prev_column] = x_prev / data.unit
        x = data.unit * policy.act(inputs, x_prev / data.unit, data.delta[i])
        wealth = (wealth - cost(x - x_prev, i)) * data.growth[i] + x * data.gain[i]
        x_prev = x
    return data.book_pnl + wealth - cost(-x_prev, n)


def train(data: TrainingData, *, hidden: tuple[int, ...], loss: str, band: bool, risk_aversion: float,
          level: float, epochs: int, batch_size: int, learning_rate: float,
          init_seed: np.random.SeedSequence, shuffle_seed: np.random.SeedSequence,
          progress: Callable[[int, int, float], Any] | None) -> TrainOutput:
    """Adam on mini-batches of ``batch_size`` paths, ``epochs`` passes over the training set.

    Each epoch visits the paths in a new seeded order, in ``n_paths // batch_size`` batches
    of equal size (one compiled shape; the few paths left over wait for the next epoch's
    order). Stops with a ``HedgeLibError`` naming the epoch if the loss or a weight is no
    longer finite.
    """
    n_features = len(data.static_columns) + (data.prev_column is not None)
    sizes = [n_features, *hidden, 2 if band else 1]
    key = jax.random.PRNGKey(int(init_seed.generate_state(1)[0]))
    params = _init(key, sizes)
    # The first layer's rows are in feature order; the compiled step reads them by column.
    k = _tail_count(batch_size, level)
    step, adam = _compiled_step(tuple(data.static_columns), data.prev_column, loss, k, band)
    f32 = np.float32
    arrays = tuple(jnp.asarray(a, dtype=f32) for a in (
        data.static, data.gain, data.spot, data.impact, data.book_pnl, data.delta))
    growth = jnp.asarray(data.growth, dtype=f32)
    hyper = {"unit": f32(data.unit), "proportional": f32(data.proportional),
             "risk_aversion": f32(risk_aversion), "learning_rate": f32(learning_rate)}
    opt_state = adam.init(params)
    rng = np.random.default_rng(shuffle_seed)
    n_batches = max(1, data.n_paths // batch_size)
    history: list[float] = []
    compile_seconds = 0.0
    steady_seconds = 0.0
    steady_steps = 0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(data.n_paths).astype(np.int32)
        losses = []
        started = time.perf_counter()
        for b in range(n_batches):
            idx = jnp.asarray(order[b * batch_size:(b + 1) * batch_size])
            params, opt_state, value = step(params, opt_state, _gather(arrays, idx), growth, hyper)
            losses.append(value)
            if epoch == 1 and b == 0:
                value.block_until_ready()
                compile_seconds = time.perf_counter() - started
                started = time.perf_counter()
        mean = float(jnp.mean(jnp.stack(losses)))
        elapsed = time.perf_counter() - started
        steady_seconds += elapsed
        steady_steps += n_batches - (1 if epoch == 1 else 0)
        finite = math.isfinite(mean) and all(
            bool(jnp.all(jnp.isfinite(p))) for layer in params for p in layer)
        if not finite:
            raise HedgeLibError(
                f"training stopped at epoch {epoch} of {epochs}: the {loss} loss became {mean!r} "
                f"(not finite; the weights diverged). Lower learning_rate (now {learning_rate:g})"
                + (f" or risk_aversion (now {risk_aversion:g})" if loss == "entropic" else "")
            )
        history.append(mean)
        if progress is not None:
            progress(epoch, epochs, mean)
    weights = tuple(np.asarray(w, dtype=np.float64) for w, _ in params)
    biases = tuple(np.asarray(b, dtype=np.float64) for _, b in params)
    speed = steady_steps * batch_size * data.n_steps / steady_seconds if steady_seconds > 0 else 0.0
    return TrainOutput(weights, biases, tuple(history), compile_seconds, speed)
