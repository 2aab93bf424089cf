"""The server's memory: cached results hold what a page shows, not arrays that grow with the
number of paths, and all the caches together stay within a byte budget."""

from __future__ import annotations

import pickle
import tomllib

import numpy as np
import pytest
import streamlit as st
from streamlit.runtime.caching.cache_data_api import _data_caches

from hedgelib.hedging import run_experiment
from hedgelib.scenario import Market, default_book, hedge_lab_fields, hedge_lab_simulation
from tests.conftest import ROOT
from ui import memory
from ui.hedge_lab import CACHE_ENTRIES, N_SAMPLE_PATHS, results_frame, run_lab

MARKET = {"spot": 100.0, "rate": 0.03, "dividend_yield": 0.0}
BOOK = default_book(100.0).to_dict()
# The four per-path arrays a Hedge Lab result keeps, at most, plus room for the rest of it
# (summary, recorded steps of a few paths, inputs).
ENTRY_BOUND = 4 * 8 * memory.KEPT_PATHS + 2**20


def _settings(n_paths: int, n_steps: int = 1, seed: int = 1) -> dict:
    s = {k: f.default for k, f in hedge_lab_fields().items()}
    return {**s, "n_paths": n_paths, "n_steps": n_steps, "seed": seed}


def _cached_bytes() -> int:
    return sum(stat.byte_length for stats in _data_caches.get_stats().values() for stat in stats)


@pytest.fixture
def clean_cache():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_a_cached_run_does_not_grow_with_its_paths(clean_cache):
    small = run_lab(_settings(memory.KEPT_PATHS // 2), BOOK, MARKET)
    big = run_lab(_settings(4 * memory.KEPT_PATHS), BOOK, MARKET)
    assert big.n_paths == 4 * memory.KEPT_PATHS and big.sampled and not small.sampled
    assert big.pnl.size == memory.KEPT_PATHS
    assert len(pickle.dumps(big)) < ENTRY_BOUND
    # Twice the small run's kept paths, and some fixed overhead: not eight times its size.
    assert len(pickle.dumps(big)) < 2 * len(pickle.dumps(small)) + 2**20


def test_a_sampled_run_keeps_the_first_paths_and_the_full_summary(clean_cache):
    n = memory.KEPT_PATHS + 5_000
    settings = _settings(n, seed=11)
    result = run_lab(settings, BOOK, MARKET)
    sim = hedge_lab_simulation(settings, book=default_book(100.0), market=Market(**MARKET))
    full = run_experiment(**sim.keywords(), record_paths=N_SAMPLE_PATHS)
    np.testing.assert_array_equal(result.pnl, full.pnl[: memory.KEPT_PATHS])
    np.testing.assert_array_equal(result.unhedged_pnl, full.unhedged_pnl[: memory.KEPT_PATHS])
    assert result.summary == full.summary()
    # The download still has every path: the run is repeated for it, not kept.
    frame = results_frame(result)
    assert len(frame) == n
    np.testing.assert_array_equal(frame["hedged_pnl"].to_numpy(), full.pnl)
    np.testing.assert_array_equal(frame["n_trades"].to_numpy(), full.n_trades)


def test_the_hedge_lab_cache_stays_within_its_budget(clean_cache):
    # More big runs than the cache has entries: whatever the sessions ran, what stays cached
    # is bounded by entries x a result that does not grow with the paths.
    for seed in range(CACHE_ENTRIES + 2):
        run_lab(_settings(3 * memory.KEPT_PATHS, seed=seed), BOOK, MARKET)
    total = _cached_bytes()
    assert 0 < total <= CACHE_ENTRIES * ENTRY_BOUND
    assert CACHE_ENTRIES * ENTRY_BOUND <= memory.HELPER_BUDGET <= memory.CACHE_BUDGET


def test_the_server_config_bounds_all_caches_together():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    size = config["server"]["maxCacheDataSize"]
    assert size.lower().endswith("mb") and int(size[:-2]) * 2**20 == memory.CACHE_BUDGET


def test_release_memory_is_safe_to_call():
    # On glibc it trims the allocator; elsewhere it does nothing, and says so.
    assert memory.release_memory() in (True, False)
    assert memory.kept(np.arange(10), 3).tolist() == [0, 1, 2]
