"""Hedge Lab: the app's entry point (``streamlit run app.py``).

The navigation, declared in ``ui.navigation``, gives the sidebar each page's title and icon
from ``ui.pages`` (with a plain ``pages/`` folder Streamlit would label the home page "app").
"""

from __future__ import annotations

import streamlit as st

from ui.navigation import app_navigation
from ui.pages import FAVICON

st.set_page_config(page_title="Hedge Lab", page_icon=FAVICON, layout="wide")

app_navigation().run()
