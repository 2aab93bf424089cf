"""Fixtures shared by the whole suite.

Tests never touch the network: HEDGELIB_OFFLINE=1 makes the Yahoo loader refuse before it
calls out, and is set here before any test module imports the library.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

os.environ["HEDGELIB_OFFLINE"] = "1"

# The same examples on every machine and every run, and no time limits: a property test must
# not pass on one run and fail on the next, nor depend on how loaded the machine is.
settings.register_profile("hedgelib", derandomize=True, database=None, deadline=None)
settings.load_profile("hedgelib")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_test() -> Callable[..., object]:
    """Build an AppTest for the app or one of its pages, with Streamlit caches cleared.

    AppTest shares Streamlit's caches across tests; clearing them keeps one test's cached
    result from hiding another test's behaviour. Usage::

        at = app_test("pages/1_Option_Book.py")
        at.run()
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()

    def make(script: str = "app.py", *, timeout: float = 30.0) -> AppTest:
        return AppTest.from_file(str(ROOT / script), default_timeout=timeout)

    yield make
    st.cache_data.clear()
    st.cache_resource.clear()
