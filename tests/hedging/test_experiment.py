"""Tests of hedgelib.hedging.experiment: reproducibility at any chunking and on any executor,
the documented seeded blocks, and the chunk planning."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import experiment as experiment_module
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.experiment import run_experiment
from hedgelib.hedging.result import HedgeResult
from hedgelib.market.models import GBM, MertonJump
from hedgelib.market.paths import Paths

MODEL = GBM(0.05, 0.2)
BOOK = Book([OptionLeg("call", 100.0, 1 / 12, -1.0), OptionLeg("put", 95.0, 1 / 12, 2.0)])
# 1,000 paths in blocks of 256: three full blocks and one of 232.
SMALL = dict(spot=100.0, horizon=1 / 12, n_steps=10, n_paths=1000, seed=123, block_size=256)
HEDGE = dict(
    hedge_volatility=0.2, rate=0.05, costs=TransactionCosts(proportional=1e-3, per_trade=0.01)
)


def assert_identical(a: HedgeResult, b: HedgeResult) -> None:
    """Bit-identical per-path results (array_equal, no tolerance)."""
    for name in ("pnl", "costs", "n_trades", "turnover", "unhedged_pnl"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for group in ("attribution", "explain", "cost_breakdown"):
        da, db = getattr(a, group), getattr(b, group)
        assert da.keys() == db.keys()
        for key in da:
            assert np.array_equal(da[key], db[key]), (group, key)
    assert a.premium == b.premium


@pytest.fixture(scope="module")
def reference() -> HedgeResult:
    with ThreadPoolExecutor(1) as pool:
        return run_experiment(MODEL, BOOK, chunk_size=256, executor=pool, **SMALL, **HEDGE)


def block_paths(seed: int, n_paths: int, block: int, n_steps: int, horizon: float) -> Paths:
    """The paths run_experiment documents: block i from child i of SeedSequence(seed)."""
    n_blocks = -(-n_paths // block)
    kids = np.random.SeedSequence(seed).spawn(n_blocks)
    parts = [
        MODEL.simulate(
            100.0, horizon, n_steps, min(block, n_paths - i * block), rng=np.random.default_rng(k)
        )
        for i, k in enumerate(kids)
    ]
    return Paths(parts[0].times, np.hstack([p.spot for p in parts]))


# -- reproducibility ------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [None, 256, 512, 768, 1024, 4096])
def test_bit_identical_for_any_chunk_size(reference, chunk):
    res = run_experiment(MODEL, BOOK, chunk_size=chunk, **SMALL, **HEDGE)
    assert res.n_paths == 1000
    assert_identical(res, reference)


@pytest.mark.parametrize("workers", [1, 2])
def test_bit_identical_on_thread_pools(reference, workers):
    with ThreadPoolExecutor(workers) as pool:
        res = run_experiment(MODEL, BOOK, chunk_size=512, executor=pool, **SMALL, **HEDGE)
    assert_identical(res, reference)


def test_bit_identical_on_a_process_pool(reference):
    # spawn, not fork: a fork of this multithreaded process (JAX, thread pools) may deadlock.
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        res = run_experiment(MODEL, BOOK, chunk_size=256, executor=pool, **SMALL, **HEDGE)
    assert_identical(res, reference)


def test_bit_identical_on_a_dask_cluster(reference):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        res = run_experiment(
            MODEL, BOOK, chunk_size=512, executor=client.get_executor(), **SMALL, **HEDGE
        )
    assert_identical(res, reference)


def test_blocks_are_the_documented_paths(reference):
    # Oracle: the engine run once on all the documented block paths gives the same numbers.
    paths = block_paths(123, 1000, 256, 10, 1 / 12)
    direct = simulate_hedge(BOOK, paths, **HEDGE)
    assert_identical(reference, direct)
    # A different seed or block size is a different stream.
    other = run_experiment(MODEL, BOOK, **{**SMALL, "block_size": 200}, **HEDGE)
    assert not np.array_equal(other.pnl, reference.pnl)


def test_per_path_hedge_volatility_is_sliced_per_chunk():
    rng = np.random.default_rng(9)
    vol_paths = rng.uniform(0.1, 0.3, 1000)
    vol_grid = np.tile(vol_paths, (11, 1)) * np.linspace(1.0, 1.2, 11)[:, None]
    paths = block_paths(123, 1000, 256, 10, 1 / 12)
    kw = dict(rate=0.05, costs=TransactionCosts(proportional=1e-3), pricing_volatility=0.2)
    # Per time and path, shape (n_steps + 1, n_paths): equals the engine on all paths at once.
    res = run_experiment(MODEL, BOOK, chunk_size=512, hedge_volatility=vol_grid, **SMALL, **kw)
    assert_identical(res, simulate_hedge(BOOK, paths, hedge_volatility=vol_grid, **kw))
    # One volatility per path, shape (1, n_paths): the same as repeating it over time.
    flat = run_experiment(
        MODEL, BOOK, chunk_size=768, hedge_volatility=vol_paths[None, :], **SMALL, **kw
    )
    full = simulate_hedge(BOOK, paths, hedge_volatility=np.tile(vol_paths, (11, 1)), **kw)
    assert_identical(flat, full)
    # Per-path volatilities change the answer path by path (the slicing is not a no-op).
    const = run_experiment(MODEL, BOOK, hedge_volatility=0.2, **SMALL, **kw)
    assert not np.allclose(const.pnl, flat.pnl)


def test_recorded_steps_follow_the_whole_run():
    # 300 recorded paths span the first two blocks; path numbers are global.
    res = run_experiment(MODEL, BOOK, chunk_size=512, record_paths=300, **SMALL, **HEDGE)
    assert sorted(res.steps["path"].unique()) == list(range(300))
    direct = simulate_hedge(
        BOOK, block_paths(123, 1000, 256, 10, 1 / 12), record_paths=300, **HEDGE
    )
    np.testing.assert_array_equal(res.steps["spot"].to_numpy(), direct.steps["spot"].to_numpy())
    np.testing.assert_array_equal(res.steps["pnl"].to_numpy(), direct.steps["pnl"].to_numpy())


def test_progress_reports_paths_in_the_calling_thread():
    import threading

    calls = []
    main = threading.get_ident()

    def progress(done, total):
        calls.append((done, total, threading.get_ident()))

    run_experiment(MODEL, BOOK, chunk_size=512, progress=progress, **SMALL, **HEDGE)
    assert calls[0][:2] == (0, 1000)
    assert calls[-1][:2] == (1000, 1000)
    done = [c[0] for c in calls]
    assert done == sorted(done) and len(calls) == 3  # start, then two chunks (512 + 488)
    assert {c[2] for c in calls} == {main}


def test_other_models_run():
    jumps = MertonJump(0.05, 0.15, jump_intensity=1.0, jump_mean=-0.1, jump_std=0.1)
    a = run_experiment(jumps, BOOK, chunk_size=256, **SMALL, **HEDGE)
    b = run_experiment(jumps, BOOK, chunk_size=1024, **SMALL, **HEDGE)
    assert_identical(a, b)
    assert a.n_paths == 1000 and np.isfinite(a.pnl).all()


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"chunk_size": 300}, "chunk_size"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"n_paths": 0}, "n_paths"),
        ({"n_steps": 2.5}, "n_steps"),
        ({"seed": -1}, "seed"),
        ({"seed": "abc"}, "seed"),
        ({"block_size": 0}, "block_size"),
        ({"spot": -100.0}, "spot"),
        ({"horizon": 0.0}, "horizon"),
        ({"executor": object()}, "executor"),
        ({"progress": 3}, "progress"),
        ({"hedge_volatility": np.full((2, 1000), 0.2)}, "hedge_volatility"),
        ({"hedge_volatility": np.full((11, 999), 0.2)}, "hedge_volatility"),
        ({"hedge_volatility": np.full((11, 1000), -0.2)}, "hedge_volatility"),
        ({"hedge_volatility": np.full(1000, 0.2)}, r"hedge_volatility.*\(11,\)"),
        ({"record_paths": 2000}, "record_paths"),
    ],
)
def test_run_experiment_validates(change, name):
    kw = {**SMALL, **HEDGE, **change}
    with pytest.raises(HedgeLibError, match=name):
        run_experiment(MODEL, BOOK, **kw)


def test_run_experiment_needs_a_model_a_book_and_a_hedge_volatility():
    with pytest.raises(HedgeLibError, match="model"):
        run_experiment("GBM", BOOK, **SMALL, **HEDGE)
    with pytest.raises(HedgeLibError, match="book"):
        run_experiment(MODEL, "call", **SMALL, **HEDGE)
    with pytest.raises(HedgeLibError, match="hedge_volatility"):
        run_experiment(MODEL, BOOK, **SMALL, rate=0.05)


def test_engine_errors_reach_the_caller():
    with pytest.raises(HedgeLibError, match="rate"):
        run_experiment(MODEL, BOOK, **SMALL, hedge_volatility=0.2, rate=float("inf"))


# -- chunk planning and in-place simulation ----------------------------------------------------


@pytest.mark.parametrize(
    ("n_paths", "block_size", "workers", "expected"),
    [
        (100_000, 4096, 2, 4),  # six chunks of 4 blocks, 3 per thread, and the short tail
        (1_000_000, 4096, 2, 4),  # 62 chunks: one extra chunk is under 2% of a thread's time
        (50_000, 4096, 2, 3),  # 4 per chunk would leave one thread a chunk behind
        (25_000, 4096, 4, 2),
        (10_000, 4096, 2, 1),
        (1000, 4096, 2, 1),
        (200_000, 65_536, 2, 1),  # blocks bigger than the aimed chunk: one block per chunk
        (40_960, 1024, 2, 10),
    ],
)
def test_threaded_chunks_finish_together(n_paths, block_size, workers, expected):
    n_blocks = -(-n_paths // block_size)
    sizes = [min(block_size, n_paths - i * block_size) for i in range(n_blocks)]
    per_chunk = experiment_module._threaded_blocks_per_chunk(sizes, workers)
    assert per_chunk == expected
    assert per_chunk * block_size <= max(experiment_module._THREAD_CHUNK_PATHS, block_size)


def test_gbm_chunk_simulated_in_place_equals_the_concatenated_blocks():
    kids = np.random.SeedSequence(77).spawn(3)
    task = experiment_module._Chunk(
        model=MODEL,
        book=BOOK,
        spot=100.0,
        horizon=0.25,
        n_steps=12,
        seeds=tuple(kids),
        sizes=(64, 64, 40),
        record=0,
        setups={},
    )
    in_place = experiment_module._simulate_chunk(task)
    blocks = MODEL.simulate(100.0, 0.25, 12, 64, rng=np.random.default_rng(kids[0]))
    rest = [MODEL.simulate(100.0, 0.25, 12, n, rng=np.random.default_rng(k)) for k, n in zip(kids[1:], (64, 40), strict=True)]
    blocks = type(blocks)(blocks.times, np.concatenate([blocks.spot] + [b.spot for b in rest], axis=1))
    assert in_place.spot.shape == (13, 168)
    assert np.array_equal(in_place.times, blocks.times)
    assert np.array_equal(in_place.spot, blocks.spot)
    assert in_place.variance is None
