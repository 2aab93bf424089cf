"""Turn library errors into messages on the page, never tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from hedgelib.conventions import HedgeLibError

__all__ = ["stop_on_error"]


@contextmanager
def stop_on_error(prefix: str = "") -> Iterator[None]:
    """Show a ``HedgeLibError`` as ``st.error`` and stop the script run.

    Use around library calls whose result the rest of the page needs::

        with stop_on_error("Leg table: "):
            book = Book.from_frame(frame)
    """
    try:
        yield
    except HedgeLibError as exc:
        st.error(f"{prefix}{exc}")
        st.stop()
