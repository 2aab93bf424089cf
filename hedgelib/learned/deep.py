"""Deep hedging: a small neural policy trained on simulated paths, evaluated by the engine.

A :class:`DeepHedge` is a spec (network size, features, loss) until :meth:`DeepHedge.fit`
trains it; the trained copy carries a :class:`Policy` (plain numpy weights and the scales of
its inputs) and a :class:`TrainingReport`. The trained object is a
:class:`~hedgelib.hedging.strategies.Strategy`: the engine calls :meth:`DeepHedge.target` at
every step and gets the network's hedge from a plain numpy forward pass, so running it
(``simulate_hedge``, ``run_experiment``, ``replay``) never loads JAX. Only training does, in
:mod:`hedgelib.learned.training`, imported when :meth:`DeepHedge.fit` is called.

Inputs of the network
---------------------
The network hedges **one unit** of the book it was trained on: its output times
``unit = sum |quantity|`` of the book's legs is the number of shares held. Its inputs, each
computed the same way in training and in the engine (:data:`FEATURES`):

=================  ====================================================================
``log_moneyness``  :math:`\\ln(S/K) / (\\sigma_0\\sqrt{T})`, with K the book's reference strike
                   (quantity-weighted mean), :math:`\\sigma_0` the hedge volatility today and
                   T the book's last expiry
``time_to_expiry`` :math:`(T - t)/T`, the fraction of the book's life left
``volatility``     :math:`\\sigma_t/\\sigma_0`, the hedge volatility now against today's
``prev_hedge``     the hedge held before this step's trade, per unit of the book: what lets
                   the network learn not to trade (a no-trade band) when trading costs
``delta``          the Black-Scholes delta hedge per unit, :math:`-\\Delta_{book}/\\text{unit}`
                   (optional: the default features are those of Buehler et al.)
=================  ====================================================================

Architectures
-------------
``architecture="mlp"`` (Buehler et al.): a multilayer perceptron whose output is the hedge.
``architecture="band"`` (the no-transaction band network of Imaki et al. 2021): the
perceptron outputs how far below and above the Black-Scholes delta the band reaches,
:math:`w_\\pm = \\log(1 + e^{o_\\pm})`, and the hedge is the previous one clipped to the
band, :math:`x_t = \\min(\\max(x_{t-1}, \\delta - w_-), \\delta + w_+)`: it does not trade
inside the band and trades to its nearest edge outside, the shape Whalley and Wilmott derive
for proportional costs, learned from the paths. Its inputs must leave out ``prev_hedge`` (the
previous hedge enters through the clipping).

Files
-----
:meth:`DeepHedge.save` writes ``<name>.npz`` (the arrays, read back with
``allow_pickle=False``) and ``<name>.json`` (the spec, the scales, the book, the training
report and a SHA-256 of every array); :meth:`DeepHedge.load` checks all of it and names
what is wrong. Nothing is ever unpickled.

References
----------
Buehler, H., Gonon, L., Teichmann, J. and Wood, B. (2019), "Deep hedging", *Quantitative
Finance* 19(8), 1271-1291. Imaki, S., Imajo, K., Ito, K., Minami, K. and Nakagawa, K.
(2021), "No-transaction band network", arXiv:2103.01775 (pfhedge).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hedgelib._typing import FloatArray
from hedgelib.book import Book
from hedgelib.conventions import (
    HedgeLibError,
    check_finite,
    check_in_range,
    check_int,
    check_positive,
    check_scalar,
)
from hedgelib.hedging.strategies import HedgeState
from hedgelib.learned.policy import (
    ARCHITECTURES,
    BAND_FEATURES,
    DEFAULT_FEATURES,
    Policy,
    _check_features,
    book_scales,
)

__all__ = [
    "FORMAT",
    "LOSSES",
    "DeepHedge",
    "TrainingReport",
]

#: Risk measures of the hedged P&L that training minimises.
LOSSES: tuple[str, ...] = ("entropic", "cvar", "variance")
FORMAT = "hedgelib.DeepHedge"
_VERSION = 1
_MAX_UNITS = 4096


def _check_hidden(hidden: Any) -> tuple[int, ...]:
    if isinstance(hidden, int | np.integer) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if isinstance(hidden, str | bytes) or not hasattr(hidden, "__iter__"):
        raise HedgeLibError(f"hidden must be a tuple of layer widths such as (32, 32), got {hidden!r}")
    out = tuple(check_int(h, "hidden", minimum=1, maximum=_MAX_UNITS) for h in hidden)
    if not 1 <= len(out) <= 8:
        raise HedgeLibError(f"hidden must hold 1 to 8 layer widths, got {hidden!r}")
    return out


@dataclass(frozen=True)
class TrainingReport:
    """How a policy was trained: the run, the loss per epoch and the speed.

    ``history`` is the mean mini-batch loss of each epoch; ``final_loss`` the loss of the
    trained policy on all training paths (in currency: a risk, or a variance for
    ``loss="variance"``). ``path_steps_per_second`` counts paths x steps through the forward
    and backward pass, compilation excluded; ``compile_seconds`` is the first step's time.
    """

    model: str
    hedge_volatility: float
    spot: float
    horizon: float
    n_steps: int
    n_paths: int
    seed: int
    epochs: int
    batch_size: int
    learning_rate: float
    costs: dict[str, float]
    history: tuple[float, ...]
    final_loss: float
    seconds: float
    compile_seconds: float
    path_steps_per_second: float

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["history"] = list(self.history)
        return out


def _costs_of(costs: Any) -> dict[str, float]:
    """The cost rates training can differentiate; refuses what it cannot learn from."""
    if costs is None:
        return {"proportional": 0.0, "impact": 0.0, "daily_volume": 1e6}
    if not callable(getattr(costs, "charge", None)):
        raise HedgeLibError(f"costs must be a cost model such as TransactionCosts, got {costs!r}")
    per_trade = float(getattr(costs, "per_trade", 0.0))
    if per_trade:
        raise HedgeLibError(
            f"per_trade must be 0 for a learned hedge, got {per_trade!r}: a fixed fee per trade "
            "has no gradient to learn from (use a proportional cost)"
        )
    return {"proportional": float(getattr(costs, "proportional", 0.0)),
            "impact": float(getattr(costs, "impact", 0.0)),
            "daily_volume": float(getattr(costs, "daily_volume", 1e6))}


@dataclass(frozen=True, eq=False)
class DeepHedge:
    """A neural hedging policy (Buehler et al. 2019): a spec, trained by :meth:`fit`.

    Parameters
    ----------
    hidden : tuple of int, default (32, 32)
        Widths of the hidden ReLU layers.
    loss : {"entropic", "cvar", "variance"}, default "entropic"
        What training minimises over the hedged P&L X (premium and costs included):
        the entropic risk :math:`\\frac1\\lambda\\log E[e^{-\\lambda X}]`, the expected
        shortfall (CVaR) at ``level``, or the variance.
    risk_aversion : float, default 1.0
        :math:`\\lambda > 0` of the entropic risk, per unit of currency.
    features : tuple of str, optional
        Inputs of the network, among :data:`FEATURES`; default :data:`DEFAULT_FEATURES`, or
        :data:`BAND_FEATURES` for a band network.
    level : float, default 0.95
        Level of the CVaR loss: the mean loss in the worst ``1 - level`` of paths.
    architecture : {"mlp", "band"}, default "mlp"
        A perceptron whose output is the hedge, or a no-transaction band network (module
        notes), which learns a band of no trading explicitly.
    policy, training
        Set by :meth:`fit` or :meth:`load`; leave them out.

    Notes
    -----
    Trained, it is a strategy of the engine: at each step the shares held are
    :math:`\\text{unit}\\times\\mathrm{NN}(x_t)`, with :math:`x_t` the features above; the
    engine's rule should be ``EveryNSteps(1)`` (the policy decides itself when not to trade).
    Training minimises the loss of :math:`X = P\\&L_{book} + \\sum_t h_t\\,\\delta S_t
    - \\text{costs}` with the engine's own bookkeeping (interest, dividends, the final
    liquidation and its cost), so the learned hedge is judged in the engine by the numbers it
    was trained on. The book alone's P&L does not depend on the hedge and is taken from the
    engine.

    References
    ----------
    Buehler, Gonon, Teichmann and Wood (2019), "Deep hedging", *Quantitative Finance* 19(8).

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> book = Book([OptionLeg("call", 100.0, 30 / 252, -1.0)])
    >>> hedge = DeepHedge(loss="variance").fit(GBM(0.0, 0.2), book, spot=100.0, horizon=30 / 252,
    ...                                        n_steps=10, n_paths=500, seed=1, hedge_volatility=0.2,
    ...                                        epochs=2, batch_size=250)
    >>> hedge.trained, len(hedge.training.history)
    (True, 2)
    """

    hidden: tuple[int, ...] = (32, 32)
    loss: str = "entropic"
    risk_aversion: float = 1.0
    features: tuple[str, ...] | None = None
    level: float = 0.95
    architecture: str = "mlp"
    policy: Policy | None = field(default=None, repr=False)
    training: TrainingReport | None = field(default=None, repr=False)

    uses_option = False
    needs_vega = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "hidden", _check_hidden(self.hidden))
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise HedgeLibError(f"loss must be one of {', '.join(map(repr, LOSSES))}, got {self.loss!r}")
        set_(self, "risk_aversion", check_scalar(self.risk_aversion, "risk_aversion", check_positive))
        if not isinstance(self.architecture, str) or self.architecture not in ARCHITECTURES:
            raise HedgeLibError(f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}")
        band = self.architecture == "band"
        features = (BAND_FEATURES if band else DEFAULT_FEATURES) if self.features is None else self.features
        set_(self, "features", _check_features(features))
        if band and "prev_hedge" in self.features:
            raise HedgeLibError("features must leave out 'prev_hedge' for a band network: the previous "
                                "hedge enters through the band")
        level = check_in_range(self.level, "level", 0.0, 1.0, inclusive=(False, False))
        set_(self, "level", check_scalar(level, "level"))
        if self.policy is not None:
            if not isinstance(self.policy, Policy):
                raise HedgeLibError(f"policy must be a Policy, got {type(self.policy).__name__}")
            if self.policy.architecture != self.architecture:
                raise HedgeLibError(
                    f"policy must be a {self.architecture} network, got {self.policy.architecture!r}")
            if self.policy.features != self.features:
                raise HedgeLibError(
                    f"policy must read the features {self.features!r}, got {self.policy.features!r}"
                )
            widths = tuple(w.shape[1] for w in self.policy.weights[:-1])
            if widths != self.hidden:
                raise HedgeLibError(f"policy must have hidden layers {self.hidden!r}, got {widths!r}")

    # -- the strategy protocol ----------------------------------------------------------------

    name = "deep-hedge"

    @property
    def label(self) -> str:
        """Name in legends and forms: the loss and the network."""
        net = "x".join(str(h) for h in self.hidden) + (" band network" if self.architecture == "band" else "")
        what = {"entropic": f"entropic, risk aversion {self.risk_aversion:g}",
                "cvar": f"CVaR {self.level:.0%}", "variance": "variance"}[self.loss]
        return f"Deep hedge ({what}, {net})"

    @property
    def trained(self) -> bool:
        """Whether the object carries a trained policy."""
        return self.policy is not None

    def _policy(self) -> Policy:
        if self.policy is None:
            raise HedgeLibError(
                "the deep hedge is not trained: call DeepHedge(...).fit(model, book, ...) or "
                "DeepHedge.load(path) before using it as a strategy"
            )
        return self.policy

    def target(self, state: HedgeState) -> tuple[FloatArray, float]:
        """Shares to hold per path: the network's output times the book's unit."""
        p = self._policy()
        s = np.asarray(state.spot, dtype=np.float64)
        stock = np.zeros_like(s) if state.stock is None else state.stock
        delta = None
        if p.needs_delta:
            delta = -np.asarray(state.book_delta, dtype=np.float64) / p.unit
        prev = np.asarray(stock, dtype=np.float64) / p.unit
        x = p.inputs(s, state.time_to_expiry, state.volatility, prev, delta)
        return p.unit * p.act(x, prev, delta).reshape(s.shape), 0.0

    # -- training -----------------------------------------------------------------------------

    def fit(
        self, model: Any, book: Book, *, spot: float, horizon: float, n_steps: int, n_paths: int,
        seed: int, hedge_volatility: Any, rate: float = 0.0, dividend_yield: float = 0.0,
        costs: Any = None, epochs: int = 30, batch_size: int = 1000, learning_rate: float = 1e-3,
        progress: Any = None,
    ) -> DeepHedge:
        """Train the policy on simulated paths; return a trained copy (this one is unchanged).

        Parameters
        ----------
        model : MarketModel
            Anything with ``simulate(spot, horizon, n_steps, n_paths, rng=...)``.
        book : Book
            The position hedged (at least one option leg), entered at its value at the hedge
            volatility today.
        spot, horizon : float
            Price today and years hedged (usually the book's last expiry), > 0.
        n_steps, n_paths : int
            Hedging steps over the horizon and training paths, >= 1.
        seed : int
            Seeds the paths, the initial weights and the order of the mini-batches: the same
            seed gives the same weights on the same machine.
        hedge_volatility : float or array of shape (n_steps + 1,)
            Volatility of the deltas and marks, as in the engine.
        rate, dividend_yield : float, default 0.0
            As in the engine: cash earns the rate, stock held earns the yield.
        costs : TransactionCosts, optional
            Proportional and impact costs are learned from; a per-trade fee is refused
            (it has no gradient). Default: free.
        epochs, batch_size : int, default 30 and 1000
            Passes over the training paths and paths per Adam step (at most ``n_paths``).
        learning_rate : float, default 1e-3
            Adam's step size.
        progress : callable, optional
            Called as ``progress(epoch, epochs, loss)`` after each epoch, in the calling
            thread; raising from it stops training (that is how a page cancels a run).

        Returns
        -------
        DeepHedge
            With ``policy`` and ``training`` set.

        Raises
        ------
        HedgeLibError
            Bad input; or a loss that stops being finite, naming the epoch.
        """
        from hedgelib.learned import training  # JAX is loaded only to train

        m = check_int(n_paths, "n_paths", minimum=1)
        n = check_int(n_steps, "n_steps", minimum=1)
        s0 = check_scalar(spot, "spot", check_positive)
        t = check_scalar(horizon, "horizon", check_positive)
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise HedgeLibError(f"seed must be a non-negative int, got {seed!r}")
        n_epochs = check_int(epochs, "epochs", minimum=1, maximum=100_000)
        batch = min(check_int(batch_size, "batch_size", minimum=1), m)
        lr = check_scalar(learning_rate, "learning_rate", check_positive)
        r = check_scalar(rate, "rate", check_finite)
        q = check_scalar(dividend_yield, "dividend_yield", check_finite)
        cost_rates = _costs_of(costs)
        if progress is not None and not callable(progress):
            raise HedgeLibError(f"progress must be callable as progress(epoch, epochs, loss), got {progress!r}")
        if not callable(getattr(model, "simulate", None)):
            raise HedgeLibError(f"model must be a market model with a simulate method, got {model!r}")
        strike, unit, expiry = book_scales(book)
        vol = check_positive(hedge_volatility, "hedge_volatility")
        if not (vol.ndim == 0 or vol.shape == (n + 1,)):
            raise HedgeLibError(
                f"hedge_volatility must be a number or one per grid time, shape ({n + 1},), got "
                f"shape {vol.shape}"
            )
        streams = np.random.SeedSequence(int(seed)).spawn(3)
        paths = model.simulate(s0, t, n, m, rng=np.random.default_rng(streams[0]))
        data = training.TrainingData.build(
            paths, book, vol, r, q, features=self.features, strike=strike, unit=unit,
            horizon=expiry, costs=cost_rates, band=self.architecture == "band",
        )
        started = time.perf_counter()
        out = training.train(
            data, hidden=self.hidden, loss=self.loss, band=self.architecture == "band", risk_aversion=self.risk_aversion,
            level=self.level, epochs=n_epochs, batch_size=batch, learning_rate=lr,
            init_seed=streams[1], shuffle_seed=streams[2], progress=progress,
        )
        seconds = time.perf_counter() - started
        policy = Policy(out.weights, out.biases, self.features, strike, unit, data.volatility,
                        expiry, book, r, q, self.architecture)
        final = training.risk(self.loss, training.hedged_pnl(policy, data),
                              risk_aversion=self.risk_aversion, level=self.level)
        report = TrainingReport(
            model=repr(model), hedge_volatility=data.volatility, spot=s0, horizon=t, n_steps=n,
            n_paths=m, seed=int(seed), epochs=n_epochs, batch_size=batch, learning_rate=lr,
            costs=cost_rates, history=tuple(out.history), final_loss=final,
            seconds=seconds, compile_seconds=out.compile_seconds,
            path_steps_per_second=out.path_steps_per_second,
        )
        return dataclasses.replace(self, policy=policy, training=report)

    # -- files --------------------------------------------------------------------------------

    def save(self, path: str | Path) -> tuple[Path, Path]:
        """Write ``<path>.npz`` (arrays) and ``<path>.json`` (everything else); return both.

        A ``.npz`` or ``.json`` suffix on ``path`` is replaced.
        """
        p = self._policy()
        stem = _stem(path)
        arrays = {f"weight_{i}": w for i, w in enumerate(p.weights)}
        arrays.update({f"bias_{i}": b for i, b in enumerate(p.biases)})
        meta = {
            "format": FORMAT, "version": _VERSION,
            "spec": {"hidden": list(self.hidden), "loss": self.loss,
                     "risk_aversion": self.risk_aversion, "features": list(self.features),
                     "level": self.level, "architecture": self.architecture},
            "policy": {"strike": p.strike, "unit": p.unit, "volatility": p.volatility,
                       "horizon": p.horizon, "rate": p.rate, "dividend_yield": p.dividend_yield,
                       "book": p.book.to_dict()},
            "training": None if self.training is None else self.training.to_dict(),
            "arrays": {k: {"shape": list(v.shape), "sha256": _digest(v)} for k, v in arrays.items()},
        }
        stem.parent.mkdir(parents=True, exist_ok=True)
        npz, js = stem.with_suffix(".npz"), stem.with_suffix(".json")
        with open(npz, "wb") as fh:
            np.savez(fh, **arrays)
        js.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        return npz, js

    @classmethod
    def load(cls, path: str | Path) -> DeepHedge:
        """Read a policy written by :meth:`save` (``path`` with or without its suffix).

        Raises ``HedgeLibError`` naming the file and the problem: missing, not this format,
        a newer version, an array missing, reshaped, altered (checksum) or not finite.
        """
        stem = _stem(path)
        js, npz = stem.with_suffix(".json"), stem.with_suffix(".npz")
        try:
            meta = json.loads(js.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise HedgeLibError(f"path {str(js)!r} does not exist (a saved deep hedge is a .json and a .npz)") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HedgeLibError(f"path {str(js)!r} is not a saved deep hedge: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise HedgeLibError(f"path {str(js)!r} is not a saved deep hedge (format must be {FORMAT!r})")
        if meta.get("version") != _VERSION:
            raise HedgeLibError(f"path {str(js)!r} has version {meta.get('version')!r}; this library reads version {_VERSION}")
        try:
            with np.load(npz, allow_pickle=False) as data:
                arrays = {k: np.array(data[k]) for k in data.files}
        except FileNotFoundError:
            raise HedgeLibError(f"path {str(npz)!r} does not exist (a saved deep hedge is a .json and a .npz)") from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise HedgeLibError(f"path {str(npz)!r} is not readable as arrays: {exc}") from None
        try:
            return cls._from_parts(meta, arrays, repr(str(js)))
        except (KeyError, TypeError, AttributeError) as exc:
            raise HedgeLibError(f"path {str(js)!r} is missing or has a malformed entry: {exc}") from None

    @classmethod
    def _from_parts(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], where: str) -> DeepHedge:
        listed = meta["arrays"]
        for key, info in listed.items():
            if key not in arrays:
                raise HedgeLibError(f"{where}: array {key!r} is missing from the .npz")
            arr = arrays[key]
            if list(arr.shape) != list(info["shape"]) or arr.dtype.kind != "f":
                raise HedgeLibError(f"{where}: array {key!r} has shape {arr.shape}, expected {tuple(info['shape'])}")
            if _digest(arr) != info["sha256"]:
                raise HedgeLibError(f"{where}: array {key!r} does not match its checksum (the file was altered)")
        n_layers = sum(1 for k in listed if k.startswith("weight_"))
        spec, pol = meta["spec"], meta["policy"]
        try:
            features = tuple(spec["features"])
            policy = Policy(
                tuple(arrays[f"weight_{i}"] for i in range(n_layers)),
                tuple(arrays[f"bias_{i}"] for i in range(n_layers)),
                features, pol["strike"], pol["unit"], pol["volatility"], pol["horizon"],
                Book.from_dict(pol["book"]), float(pol["rate"]), float(pol["dividend_yield"]),
                spec.get("architecture", "mlp"),
            )
            report = None
            if meta.get("training") is not None:
                tr = dict(meta["training"])
                tr["history"] = tuple(float(v) for v in tr["history"])
                report = TrainingReport(**tr)
            return cls(hidden=tuple(spec["hidden"]), loss=spec["loss"], risk_aversion=spec["risk_aversion"],
                       features=features, level=spec["level"], architecture=spec.get("architecture", "mlp"),
                       policy=policy, training=report)
        except HedgeLibError as exc:
            raise HedgeLibError(f"{where}: {exc}") from None


def _stem(path: Any) -> Path:
    if not isinstance(path, str | Path) or not str(path):
        raise HedgeLibError(f"path must be a file path, got {path!r}")
    p = Path(path)
    return p.with_suffix("") if p.suffix in (".npz", ".json") else p


def _digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr, dtype=np.float64).tobytes()).hexdigest()
