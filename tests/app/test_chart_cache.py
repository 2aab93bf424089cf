"""The pages' figure builders: the library's, cached per inputs (``ui.charts``)."""

from __future__ import annotations

import threading

import numpy as np
import plotly.graph_objects as go
import pytest
import streamlit as st

import hedgelib.charts
from hedgelib.conventions import HedgeLibError
from tests.conftest import ROOT
from ui import charts
from ui.charts import FIGURE_ENTRIES, cached


@pytest.fixture(autouse=True)
def clean_cache():
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_same_inputs_give_the_built_figure_again_and_new_inputs_a_new_one():
    calls = []

    def builder(values, *, title="t"):
        calls.append(title)
        return go.Figure(go.Scatter(y=values), layout={"title": {"text": title}})

    fig = cached(builder)
    first = fig(np.arange(5.0), title="a")
    assert fig(np.arange(5.0), title="a") is first  # equal arrays: built once
    other = fig(np.arange(5.0) + 1, title="a")
    assert other is not first and list(other.data[0].y) == [1, 2, 3, 4, 5]
    assert fig(np.arange(5.0), title="b").layout.title.text == "b"
    assert calls == ["a", "a", "b"]


def test_at_most_a_few_figures_are_kept_per_builder():
    calls = []

    def builder(k):
        calls.append(k)
        return go.Figure()

    fig = cached(builder)
    for k in range(FIGURE_ENTRIES + 1):
        fig(k)
    fig(0)  # evicted by the newer ones: built again
    assert calls.count(0) == 2


def test_errors_are_raised_every_time_not_cached():
    calls = []

    def builder(x):
        calls.append(x)
        raise HedgeLibError(f"x must be positive, got {x}")

    fig = cached(builder)
    for _ in range(2):
        with pytest.raises(HedgeLibError, match="got -1"):
            fig(-1)
    assert calls == [-1, -1]


def test_inputs_streamlit_cannot_hash_build_the_figure_uncached():
    calls = []

    def builder(lock):
        calls.append(lock)
        return go.Figure()

    fig = cached(builder)
    lock = threading.Lock()
    assert isinstance(fig(lock), go.Figure) and isinstance(fig(lock), go.Figure)
    assert len(calls) == 2


def test_every_library_builder_is_offered_under_its_name():
    for name in hedgelib.charts.__all__:
        wrapped = getattr(charts, name)
        assert wrapped.__wrapped__ is getattr(hedgelib.charts, name)
    with pytest.raises(AttributeError, match="no attribute 'nope_figure'"):
        charts.nope_figure  # noqa: B018


def test_a_cached_library_figure_equals_the_one_built_directly():
    args = ([0, 1, 2], {"CPPI": {0.05: [100, 95, 92], 0.5: [100, 101, 102], 0.95: [100, 106, 110]}},
            {"CPPI": [90, 90, 90]})
    direct = hedgelib.charts.insurance_fan_figure(*args)
    assert charts.insurance_fan_figure(*args).to_dict() == direct.to_dict()
    assert charts.insurance_fan_figure(*args) is charts.insurance_fan_figure(*args)


def test_pages_take_their_builders_from_the_cache_except_the_live_monitor():
    # The live figures change on every refresh: caching them would only cost hashing.
    for page in sorted((ROOT / "pages").glob("*.py")):
        text = page.read_text()
        direct = "from hedgelib.charts" in text
        assert direct == page.name.endswith("Live_Monitor.py"), page.name
