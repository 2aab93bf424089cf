"""Simulated markets: price paths and the models that generate them.

A :class:`Paths` holds prices on a time grid, time-major (row 0 is today), whether they
come from a model or from history. The models (:class:`GBM`, :class:`Heston`,
:class:`MertonJump`, :class:`GARCH`) share one drift convention: ``drift`` is the expected
total return, so the price grows in expectation at ``drift - dividend_yield``,

.. math:: E[S_T] = S_0 \\exp\\big((\\mu - q) T\\big),

and ``drift = rate`` gives the pricing (risk-neutral) measure.

Every model steps through time and writes each step straight into the preallocated
``(n_steps + 1, n_paths)`` output, drawing that step's random numbers as it goes, so the
working memory beyond the output is O(n_paths) whatever the number of steps.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    MAX_JUMP_INTENSITY,
    MAX_LOG_JUMP,
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_in_range,
    check_int,
    check_mean_reversion,
    check_non_negative,
    check_positive,
    check_positive_volatility,
    check_rate,
    check_scalar,
    check_variance,
    check_volatility,
)
from hedgelib.market.base import MarketModel, Stepper, draw_normals
from hedgelib.registry import Parameter, Registry, parameter

__all__ = [
    "GARCH",
    "GBM",
    "MODELS",
    "Heston",
    "MertonJump",
]


# Every model's drift, and the volatility of GBM and Merton (GARCH's long-run one too): one
# declaration, so the forms show one input each for all models.
def _log_jump(value: Any, name: str) -> Any:
    return check_in_range(value, name, -MAX_LOG_JUMP, MAX_LOG_JUMP)


def _drift() -> Any:
    return parameter(
        dataclasses.MISSING, "Drift (% per year)", unit="percent", low=-100.0, high=100.0,
        step=1.0, key="drift_pct", shown=5.0,
        help="Expected total return of the underlying; equal to the rate for the pricing measure. "
             "Hedged P&L barely depends on it.",
    )


def _volatility() -> Any:
    return parameter(
        dataclasses.MISSING, "Volatility (%)", unit="percent", low=0.0, high=300.0, step=1.0,
        key="vol_pct", shown=20.0,
        help="Realised volatility of GBM, diffusion volatility of Merton, long-run volatility of "
             "GARCH (annualised, vol points).",
    )



class _GBMStepper(Stepper):
    def __init__(self, model: GBM, dt: float, n: int, rng: np.random.Generator, anti: bool):
        sig = model.volatility
        self.mean = (model.drift - model.dividend_yield - 0.5 * sig * sig) * dt
        self.scale = sig * math.sqrt(dt)
        self.rng, self.anti = rng, anti
        self.z = np.empty(n)

    def __call__(self, s_prev: FloatArray, s_next: FloatArray) -> None:
        z = draw_normals(self.rng, self.z, self.anti)
        z *= self.scale
        z += self.mean
        np.exp(z, out=z)
        np.multiply(s_prev, z, out=s_next)


@dataclass(frozen=True)
class GBM(MarketModel):
    """Geometric Brownian motion (Black-Scholes market), simulated exactly.

    Parameters
    ----------
    drift : float
        Expected total return ``mu`` per year (continuously compounded).
    volatility : float
        Annualised volatility ``sigma`` >= 0.
    dividend_yield : float, default 0
        Continuous dividend yield ``q``.

    Notes
    -----
    .. math:: dS_t = (\\mu - q) S_t\\,dt + \\sigma S_t\\,dW_t, \\qquad
              S_{t+\\Delta} = S_t \\exp\\big((\\mu - q - \\tfrac12\\sigma^2)\\Delta
              + \\sigma\\sqrt{\\Delta}\\,Z\\big),

    exact in distribution at any step size (Hull, *Options, Futures, and Other Derivatives*,
    ch. 15; Glasserman, *Monte Carlo Methods in Financial Engineering*, 3.2).

    Examples
    --------
    >>> paths = GBM(drift=0.05, volatility=0.2).simulate(100.0, 1.0, 252, 1000, rng=42)
    >>> paths.spot.shape
    (253, 1000)
    """

    label = "GBM (constant volatility)"
    drift: float = _drift()
    volatility: float = _volatility()
    dividend_yield: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "drift", check_scalar(self.drift, "drift"))
        object.__setattr__(
            self, "volatility", check_scalar(self.volatility, "volatility", check_volatility)
        )
        object.__setattr__(self, "dividend_yield", check_scalar(self.dividend_yield, "dividend_yield", check_rate))

    @property
    def long_run_volatility(self) -> float:
        """The constant volatility."""
        return self.volatility

    def _stepper(self, spot, dt, n_paths, rng, antithetic) -> Stepper:
        return _GBMStepper(self, dt, n_paths, rng, antithetic)


# Andersen's switching level between the quadratic and the exponential branch of QE.
_PSI_CRIT = 1.5


class _HestonStepper(Stepper):
    def __init__(self, model: Heston, dt: float, n: int, rng: np.random.Generator, anti: bool):
        kappa, theta, xi, rho = model.kappa, model.theta, model.xi, model.rho
        e = math.exp(-kappa * dt)
        self.e, self.theta = e, theta
        self.c1 = xi * xi * e * (1.0 - e) / kappa
        self.c2 = theta * xi * xi * (1.0 - e) ** 2 / (2.0 * kappa)
        # Andersen (2008) eq. (33) with gamma1 = gamma2 = 1/2 (central discretisation of the
        # time integral of V).
        g1 = g2 = 0.5
        self.k0 = -rho * kappa * theta * dt / xi
        self.k1 = g1 * dt * (kappa * rho / xi - 0.5) - rho / xi
        self.k2 = g2 * dt * (kappa * rho / xi - 0.5) + rho / xi
        self.k3 = g1 * dt * (1.0 - rho * rho)
        self.k4 = g2 * dt * (1.0 - rho * rho)
        self.big_a = self.k2 + 0.5 * self.k4
        self.carry = (model.drift - model.dividend_yield) * dt
        self.rng, self.anti = rng, anti
        self.zv = np.empty(n)
        self.zx = np.empty(n)
        self.variance = np.full(n, model.v0)

    def __call__(self, s_prev: FloatArray, s_next: FloatArray) -> None:
        v = self.variance
        zv = draw_normals(self.rng, self.zv, self.anti)
        zx = draw_normals(self.rng, self.zx, self.anti)

        # Moments of V(t+dt) given V(t) (Andersen eq. 17-18).
        m = self.theta + (v - self.theta) * self.e
        psi = (v * self.c1 + self.c2) / (m * m)
        quad = psi <= _PSI_CRIT

        # Quadratic branch: V' = a (b + Zv)^2. Evaluated everywhere, clipped so the
        # exponential-branch entries (psi > 1.5) stay finite; np.where picks per path.
        inv = 2.0 / psi
        b2 = np.maximum(inv - 1.0 + np.sqrt(inv) * np.sqrt(np.maximum(inv - 1.0, 0.0)), 0.0)
        a = m / (1.0 + b2)
        v_quad = a * (np.sqrt(b2) + zv) ** 2

        # Exponential branch: V' = 0 with probability p, else exponential tail. The uniform
        # is U = Phi(Zv), so 1 - U = Phi(-Zv) keeps full precision in the upper tail, and
        # max(0, log((1-p)/(1-U))/beta) is exactly Psi^{-1}(U; p, beta).
        p = (psi - 1.0) / (psi + 1.0)
        beta = (1.0 - p) / m
        v_exp = np.maximum(np.log((1.0 - p) / ndtr(-zv)) / beta, 0.0)
        v_new = np.where(quad, v_quad, v_exp)

        # Martingale correction (Andersen section 4.2.2): K0* makes
        # E[exp(log-increment) | V(t)] = exp((mu - q) dt) exactly. M = E[exp(A V(t+dt))].
        big_a = self.big_a
        den_q = 1.0 - 2.0 * big_a * a
        ok_q = den_q > 0.0
        den_q = np.where(ok_q, den_q, 1.0)
        log_m_quad = big_a * b2 * a / den_q - 0.5 * np.log(den_q)
        den_e = beta - big_a
        ok_e = den_e > 0.0
        arg_e = p + beta * (1.0 - p) / np.where(ok_e, den_e, 1.0)
        # Only exponential-branch entries with A < beta need this log; the others get 1.
        log_m_exp = np.log(np.where(~quad & ok_e, arg_e, 1.0))
        log_m = np.where(quad, log_m_quad, log_m_exp)
        ok = np.where(quad, ok_q, ok_e)
        # Where M does not exist (large positive rho and long steps) fall back to Andersen's
        # uncorrected K0, as he recommends.
        k0 = np.where(ok, -log_m - (self.k1 + 0.5 * self.k3) * v, self.k0)

        x = k0 + self.k1 * v + self.k2 * v_new + self.carry
        x += np.sqrt(self.k3 * v + self.k4 * v_new) * zx
        np.exp(x, out=x)
        np.multiply(s_prev, x, out=s_next)
        self.variance = v_new


@dataclass(frozen=True)
class Heston(MarketModel):
    """Heston stochastic volatility, simulated with Andersen's QE-M scheme.

    Parameters
    ----------
    drift : float
        Expected total return ``mu`` per year.
    v0 : float
        Instantaneous variance today (annualised, e.g. 0.04 for 20% vol), >= 0.
    kappa : float
        Mean-reversion speed per year, > 0.
    theta : float
        Long-run variance, > 0.
    xi : float
        Volatility of variance ("vol of vol"), > 0.
    rho : float
        Correlation of the price and variance shocks, in [-1, 1].
    dividend_yield : float, default 0
        Continuous dividend yield ``q``.

    Notes
    -----
    .. math:: dS_t = (\\mu - q) S_t\\,dt + \\sqrt{V_t} S_t\\,dW^S_t, \\quad
              dV_t = \\kappa(\\theta - V_t)\\,dt + \\xi\\sqrt{V_t}\\,dW^V_t, \\quad
              d\\langle W^S, W^V\\rangle_t = \\rho\\,dt.

    Scheme: Andersen's Quadratic-Exponential (QE) step for the variance, switching at
    ``psi_c = 1.5``, with the central (gamma1 = gamma2 = 1/2) log-price step and his
    martingale correction, so ``E[S_{t+dt} | V_t] = S_t exp((mu - q) dt)`` holds exactly at
    every step. Chosen over full-truncation Euler because QE matches the first two moments of
    the non-central chi-square variance exactly, keeps ``V >= 0`` by construction (no
    truncation), and stays accurate at coarse steps (Andersen reports small biases at
    ``dt = 1/8`` year even when the Feller condition ``2 kappa theta > xi^2`` fails badly);
    full truncation needs far finer grids for the same bias. The normal that drives the
    variance also supplies the exponential branch's uniform through ``U = Phi(Z_V)``, so
    antithetic pairs mirror each other.

    References
    ----------
    Heston, S. (1993), A closed-form solution for options with stochastic volatility,
    *Review of Financial Studies* 6(2). Andersen, L. (2008), Simple and efficient simulation
    of the Heston stochastic volatility model, *Journal of Computational Finance* 11(3).

    Examples
    --------
    >>> m = Heston(drift=0.03, v0=0.04, kappa=1.5, theta=0.04, xi=0.5, rho=-0.7)
    >>> p = m.simulate(100.0, 1.0, 12, 1000, rng=1)
    >>> bool(p.variance.min() >= 0)
    True
    """

    label = "Heston (stochastic volatility)"
    drift: float = _drift()
    v0: float = parameter(dataclasses.MISSING, "Heston: volatility today (%)", unit="vol_percent",
                          low=0.0, high=300.0, step=1.0, key="heston_v0_vol_pct", shown=20.0,
                          help="Square root of the initial variance v0.")
    kappa: float = parameter(dataclasses.MISSING, "Heston: mean reversion (per year)", low=0.0,
                             high=50.0, step=0.5, key="heston_kappa", shown=2.0)
    theta: float = parameter(dataclasses.MISSING, "Heston: long-run volatility (%)",
                             unit="vol_percent", low=0.0, high=300.0, step=1.0,
                             key="heston_theta_vol_pct", shown=20.0,
                             help="Square root of the long-run variance theta.")
    xi: float = parameter(dataclasses.MISSING, "Heston: vol of vol", low=0.0, high=10.0, step=0.1,
                          key="heston_xi", shown=0.5)
    rho: float = parameter(dataclasses.MISSING, "Heston: spot-vol correlation", low=-1.0, high=1.0,
                           step=0.1, key="heston_rho", shown=-0.7)
    dividend_yield: float = 0.0
    has_variance = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "drift", check_scalar(self.drift, "drift"))
        object.__setattr__(self, "v0", check_scalar(self.v0, "v0", check_variance))
        object.__setattr__(self, "kappa", check_scalar(self.kappa, "kappa", check_mean_reversion))
        object.__setattr__(self, "theta", check_scalar(self.theta, "theta",
                                                       lambda x, n: check_variance(x, n, positive=True)))
        object.__setattr__(self, "xi", check_scalar(self.xi, "xi", check_positive_volatility))
        object.__setattr__(
            self, "rho", check_scalar(self.rho, "rho", lambda x, n: check_in_range(x, n, -1.0, 1.0))
        )
        object.__setattr__(self, "dividend_yield", check_scalar(self.dividend_yield, "dividend_yield", check_rate))

    @property
    def feller_satisfied(self) -> bool:
        """Whether ``2 kappa theta >= xi^2`` (variance never reaches zero in continuous time)."""
        return 2.0 * self.kappa * self.theta >= self.xi * self.xi

    @property
    def long_run_volatility(self) -> float:
        """``sqrt(theta)``, the volatility the variance reverts to."""
        return math.sqrt(self.theta)

    def _stepper(self, spot, dt, n_paths, rng, antithetic) -> Stepper:
        return _HestonStepper(self, dt, n_paths, rng, antithetic)


class _MertonStepper(Stepper):
    def __init__(self, model: MertonJump, dt: float, n: int, rng: np.random.Generator, anti: bool):
        sig, lam = model.volatility, model.jump_intensity
        self.jm, self.js = model.jump_mean, model.jump_std
        kbar = model.mean_jump_size
        # The compensator -lambda * kbar removes the jumps' mean, so E[S] grows at mu - q.
        self.mean = (model.drift - model.dividend_yield - lam * kbar - 0.5 * sig * sig) * dt
        self.scale = sig * math.sqrt(dt)
        self.lam_dt = lam * dt
        self.rng, self.anti, self.n = rng, anti, n
        self.z = np.empty(n)
        self.zj = np.empty(n)

    def __call__(self, s_prev: FloatArray, s_next: FloatArray) -> None:
        z = draw_normals(self.rng, self.z, self.anti)
        z *= self.scale
        z += self.mean
        if self.lam_dt > 0.0:
            if self.anti:
                half = self.rng.poisson(self.lam_dt, self.n // 2)
                counts = np.concatenate([half, half]).astype(np.float64)
            else:
                counts = self.rng.poisson(self.lam_dt, self.n).astype(np.float64)
            # Given N jumps, the sum of N iid N(m, s^2) log-jumps is N(N m, N s^2) exactly,
            # so one normal per path and step suffices.
            zj = draw_normals(self.rng, self.zj, self.anti)
            z += counts * self.jm
            np.sqrt(counts, out=counts)
            counts *= self.js
            z += counts * zj
        np.exp(z, out=z)
        np.multiply(s_prev, z, out=s_next)


@dataclass(frozen=True)
class MertonJump(MarketModel):
    """Merton's jump diffusion: GBM plus compound-Poisson log-normal jumps, compensated.

    Parameters
    ----------
    drift : float
        Expected total return ``mu`` per year (jumps included).
    volatility : float
        Diffusion volatility ``sigma`` >= 0, annualised.
    jump_intensity : float
        Expected number of jumps per year ``lambda`` >= 0.
    jump_mean : float
        Mean ``m`` of the log jump ``Y``.
    jump_std : float
        Standard deviation ``s`` >= 0 of the log jump ``Y``.
    dividend_yield : float, default 0
        Continuous dividend yield ``q``.

    Notes
    -----
    Each jump multiplies the price by ``exp(Y)``, ``Y ~ N(m, s^2)``, with mean relative jump
    ``k = exp(m + s^2/2) - 1``:

    .. math:: \\log\\frac{S_{t+\\Delta}}{S_t} = (\\mu - q - \\lambda k - \\tfrac12\\sigma^2)\\Delta
              + \\sigma\\sqrt{\\Delta} Z + \\sum_{j=1}^{N_\\Delta} Y_j,
              \\quad N_\\Delta \\sim \\mathrm{Poisson}(\\lambda\\Delta),

    exact in distribution at any step (Merton 1976, *Journal of Financial Economics* 3;
    Glasserman 3.5.1). With antithetic variates a pair shares its jump counts and mirrors
    the normals.

    Examples
    --------
    >>> m = MertonJump(0.05, 0.15, jump_intensity=0.5, jump_mean=-0.1, jump_std=0.15)
    >>> m.simulate(100.0, 1.0, 52, 4, rng=0).spot.shape
    (53, 4)
    """

    label = "Merton (jumps)"
    drift: float = _drift()
    volatility: float = _volatility()
    jump_intensity: float = parameter(dataclasses.MISSING, "Merton: jumps per year", low=0.0,
                                      high=100.0, step=0.5, key="merton_intensity", shown=0.5)
    jump_mean: float = parameter(dataclasses.MISSING, "Merton: mean log jump (%)", unit="percent",
                                 low=-100.0, high=100.0, step=1.0, key="merton_jump_mean_pct",
                                 shown=-10.0)
    jump_std: float = parameter(dataclasses.MISSING, "Merton: log jump std (%)", unit="percent",
                                low=0.0, high=100.0, step=1.0, key="merton_jump_std_pct",
                                shown=15.0)
    dividend_yield: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "drift", check_scalar(self.drift, "drift"))
        object.__setattr__(
            self, "volatility", check_scalar(self.volatility, "volatility", check_volatility)
        )
        object.__setattr__(
            self,
            "jump_intensity",
            check_scalar(self.jump_intensity, "jump_intensity",
                         lambda x, n: check_in_range(x, n, 0.0, MAX_JUMP_INTENSITY)),
        )
        object.__setattr__(self, "jump_mean", check_scalar(self.jump_mean, "jump_mean", _log_jump))
        object.__setattr__(self, "jump_std", check_scalar(self.jump_std, "jump_std", check_volatility))
        object.__setattr__(self, "dividend_yield", check_scalar(self.dividend_yield, "dividend_yield", check_rate))
        if not math.isfinite(self.mean_jump_size):
            raise HedgeLibError(
                f"jump_mean and jump_std give an infinite mean jump exp(m + s^2/2), got "
                f"jump_mean={self.jump_mean!r}, jump_std={self.jump_std!r}"
            )

    @property
    def mean_jump_size(self) -> float:
        """``k = E[exp(Y)] - 1``, the mean relative jump."""
        x = self.jump_mean + 0.5 * self.jump_std**2
        # expm1 raises OverflowError past ~709; report that as an infinite mean instead.
        return math.expm1(x) if x < 700.0 else math.inf

    @property
    def total_variance_rate(self) -> float:
        """Annualised variance of log returns, ``sigma^2 + lambda (m^2 + s^2)``."""
        return self.volatility**2 + self.jump_intensity * (self.jump_mean**2 + self.jump_std**2)

    @property
    def long_run_volatility(self) -> float:
        """Volatility of log returns, diffusion and jumps together (Merton 1976)."""
        return math.sqrt(self.total_variance_rate)

    def _stepper(self, spot, dt, n_paths, rng, antithetic) -> Stepper:
        return _MertonStepper(self, dt, n_paths, rng, antithetic)


class _GarchStepper(Stepper):
    def __init__(self, model: GARCH, dt: float, n: int, rng: np.random.Generator, anti: bool):
        ppy = model.periods_per_year
        # Each grid step is split into a whole number of GARCH periods of about one day.
        self.k = max(1, round(dt * ppy))
        self.dt_sub = dt / self.k
        self.scale = self.dt_sub * ppy  # 1 exactly on a daily grid
        self.carry = (model.drift - model.dividend_yield) * self.dt_sub
        self.omega, self.alpha, self.beta = model.omega, model.alpha, model.beta
        self.ppy = ppy
        self.rng, self.anti = rng, anti
        self.h = np.full(n, model.start_variance)  # per-period variance
        self.z = np.empty(n)
        self.acc = np.empty(n)
        self.tmp = np.empty(n)
        self.variance = self.h * ppy

    def __call__(self, s_prev: FloatArray, s_next: FloatArray) -> None:
        h, z, acc, tmp = self.h, self.z, self.acc, self.tmp
        acc.fill(0.0)
        for _ in range(self.k):
            draw_normals(self.rng, z, self.anti)
            # log return: carry - var/2 + sqrt(var) z, var = h scaled to the sub-step length;
            # E[exp(.) | h] = exp(carry) exactly, which gives the drift convention.
            np.multiply(h, self.scale, out=tmp)
            acc += self.carry
            acc -= 0.5 * tmp
            np.sqrt(tmp, out=tmp)
            tmp *= z
            acc += tmp
            # h <- omega + alpha h z^2 + beta h  (eps^2 = h z^2 in per-period units)
            np.square(z, out=z)
            z *= self.alpha
            z += self.beta
            h *= z
            h += self.omega
        np.exp(acc, out=acc)
        np.multiply(s_prev, acc, out=s_next)
        self.variance = h * self.ppy


@dataclass(frozen=True)
class GARCH(MarketModel):
    """A GARCH(1,1) market: daily log returns with clustering, time-varying volatility.

    Parameters
    ----------
    drift : float
        Expected total return ``mu`` per year (annualised, like every model here).
    omega : float
        Constant of the variance recursion, per period (daily variance in decimal units,
        e.g. ``arch``'s omega fitted on percent returns divided by 1e4), > 0.
    alpha : float
        Reaction to the last squared shock, >= 0.
    beta : float
        Persistence of the last variance, >= 0; ``alpha + beta < 1`` (stationarity).
    dividend_yield : float, default 0
        Continuous dividend yield ``q``.
    initial_variance : float, optional
        Per-period variance of the first day's return; default the unconditional variance
        ``omega / (1 - alpha - beta)``.
    periods_per_year : int, default 252
        GARCH periods (trading days) per year.

    Notes
    -----
    Per period (day) of length ``delta = 1/252`` year, with ``z ~ N(0, 1)`` iid:

    .. math:: r_t = (\\mu - q)\\delta - \\tfrac12 h_t + \\sqrt{h_t} z_t, \\qquad
              h_{t+1} = \\omega + \\alpha h_t z_t^2 + \\beta h_t,

    so ``E[exp(r_t) | h_t] = exp((mu - q) delta)`` and ``E[S_T] = S_0 exp((mu - q) T)``.
    Volatility clusters: the autocorrelation of squared returns decays like
    ``(alpha + beta)^lag``. A grid step of ``dt`` years is split into
    ``k = max(1, round(dt * 252))`` GARCH periods whose variance is scaled to length
    ``dt / k``; on a daily grid (``dt = 1/252``) that is the plain daily recursion, on a
    weekly or monthly grid the steps aggregate 5 or 21 simulated days. ``Paths.variance``
    holds the annualised conditional variance ``252 h`` in force from each grid time.

    References
    ----------
    Bollerslev, T. (1986), Generalized autoregressive conditional heteroskedasticity,
    *Journal of Econometrics* 31; Engle, R. (1982), *Econometrica* 50.

    Examples
    --------
    >>> m = GARCH.from_annualised(drift=0.05, volatility=0.2, alpha=0.08, beta=0.9)
    >>> round(m.long_run_volatility, 6)
    0.2
    >>> m.simulate(100.0, 1.0, 252, 10, rng=3).spot.shape
    (253, 10)
    """

    drift: float
    omega: float
    alpha: float
    beta: float
    dividend_yield: float = 0.0
    initial_variance: float | None = None
    periods_per_year: int = TRADING_DAYS_PER_YEAR
    has_variance = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "drift", check_scalar(self.drift, "drift"))
        object.__setattr__(self, "omega", check_scalar(self.omega, "omega", check_positive))
        object.__setattr__(self, "alpha", check_scalar(self.alpha, "alpha", check_non_negative))
        object.__setattr__(self, "beta", check_scalar(self.beta, "beta", check_non_negative))
        object.__setattr__(self, "dividend_yield", check_scalar(self.dividend_yield, "dividend_yield", check_rate))
        if self.initial_variance is not None:
            object.__setattr__(
                self,
                "initial_variance",
                check_scalar(self.initial_variance, "initial_variance", check_positive),
            )
        object.__setattr__(
            self, "periods_per_year", check_int(self.periods_per_year, "periods_per_year")
        )
        if not self.alpha + self.beta < 1.0:
            raise HedgeLibError(
                f"alpha + beta must be < 1 for a stationary GARCH, got alpha={self.alpha!r}, "
                f"beta={self.beta!r} (sum {self.alpha + self.beta!r})"
            )

    @classmethod
    def from_annualised(
        cls,
        drift: float,
        volatility: float,
        alpha: float,
        beta: float,
        dividend_yield: float = 0.0,
        initial_volatility: float | None = None,
        periods_per_year: int = TRADING_DAYS_PER_YEAR,
    ) -> GARCH:
        """Build from the long-run annualised volatility instead of ``omega``.

        ``omega = volatility^2 / periods_per_year * (1 - alpha - beta)``; the optional
        ``initial_volatility`` (annualised) sets the first day's variance.
        """
        vol = check_scalar(volatility, "volatility", check_positive_volatility)
        a = check_scalar(alpha, "alpha", check_non_negative)
        b = check_scalar(beta, "beta", check_non_negative)
        ppy = check_int(periods_per_year, "periods_per_year")
        if not a + b < 1.0:
            raise HedgeLibError(
                f"alpha + beta must be < 1 for a stationary GARCH, got alpha={a!r}, beta={b!r}"
            )
        h0 = None
        if initial_volatility is not None:
            h0 = check_scalar(initial_volatility, "initial_volatility", check_positive_volatility) ** 2 / ppy
        return cls(drift, vol * vol / ppy * (1.0 - a - b), a, b, dividend_yield, h0, ppy)

    @property
    def persistence(self) -> float:
        """``alpha + beta``: how slowly a variance shock dies out."""
        return self.alpha + self.beta

    @property
    def half_life(self) -> float:
        """Periods (days) for a variance shock to halve, ``log(1/2) / log(alpha + beta)``."""
        p = self.persistence
        return math.log(0.5) / math.log(p) if p > 0.0 else 0.0

    @property
    def long_run_variance(self) -> float:
        """Unconditional per-period variance ``omega / (1 - alpha - beta)``."""
        return self.omega / (1.0 - self.persistence)

    @property
    def long_run_volatility(self) -> float:
        """Unconditional volatility, annualised: ``sqrt(periods_per_year * long_run_variance)``."""
        return math.sqrt(self.periods_per_year * self.long_run_variance)

    @property
    def start_variance(self) -> float:
        """Per-period variance of the first simulated day."""
        return self.long_run_variance if self.initial_variance is None else self.initial_variance

    def _stepper(self, spot, dt, n_paths, rng, antithetic) -> Stepper:
        return _GarchStepper(self, dt, n_paths, rng, antithetic)


#: The simulated markets every page offers; a new model is one class plus one line here.
#: The dividend yield comes from the market inputs, not from the model's form.
MODELS = Registry("market model")


MODELS.register("GBM", GBM)


MODELS.register("Heston", Heston)


MODELS.register("Merton", MertonJump)


MODELS.register(
    "GARCH",
    GARCH.from_annualised,
    label="GARCH(1,1) (volatility clusters)",
    help="GARCH(1,1) with the long-run volatility given, simulated day by day.",
    parameters=(
        *MODELS["GBM"].parameters,
        Parameter("alpha", "GARCH: alpha (reaction)", 0.08, low=0.0, high=1.0, step=0.01,
                  key="garch_alpha"),
        Parameter("beta", "GARCH: beta (persistence)", 0.90, low=0.0, high=1.0, step=0.01,
                  key="garch_beta", help="alpha + beta must stay below 1; the long-run "
                  "volatility is the volatility above."),
    ),
)
