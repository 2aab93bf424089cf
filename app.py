"""Hedge Lab: the app's entry point (``streamlit run app.py``).

Navigation is declared here so that the sidebar shows each page's title and icon from
``ui.pages`` (with a plain ``pages/`` folder Streamlit would label the home page "app").
"""

from __future__ import annotations

import streamlit as st

from ui.home import render_home
from ui.pages import FAVICON, available_pages

st.set_page_config(page_title="Hedge Lab", page_icon=FAVICON, layout="wide")

navigation = st.navigation(
    [st.Page(render_home, title="Home", icon=":material/home:", default=True)]
    + [st.Page(page.path, title=page.title, icon=page.icon) for page in available_pages()]
)
navigation.run()
