"""The app's navigation: declared once for app.py, and reached by a page opened on its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

try:  # Streamlit's internal flag of its pages-folder mode (see page_config)
    from streamlit.runtime.pages_manager import PagesManager
except ImportError:  # pragma: no cover - a Streamlit that moved it: the first visit's menu only
    PagesManager = None

from ui.home import render_home
from ui.pages import FAVICON, available_pages

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

__all__ = ["app_navigation", "page_config"]


def app_navigation() -> StreamlitPage:
    """The sidebar's menu (Home, then every page with its title and icon from
    :mod:`ui.pages`); returns the page the address asks for."""
    return st.navigation(
        [st.Page(render_home, title="Home", icon=":material/home:", default=True)]
        + [st.Page(page.path, title=page.title, icon=page.icon) for page in available_pages()]
    )


# Session-state key: this session has left Streamlit's pages-folder mode once already.
_LEFT_FOLDER_MODE = "_left_pages_folder_mode"


def page_config(title: str) -> None:
    """A page's first call: its browser tab's title and icon, the wide layout, and the app's
    navigation around it.

    With a ``pages/`` folder beside app.py, Streamlit starts in its older pages-folder mode
    and leaves it only when ``st.navigation`` is called: the first visitor after a start who
    opens a page by its own address (a shared scenario link) is served the page without
    app.py, under a menu of file names ("app", no icons). The page then leaves that mode, as
    ``st.navigation`` would, and runs again at the same address, this time through app.py,
    before it has drawn anything. Once a session at most: a test harness that resets the
    mode on every run would otherwise lose each click to the rerun. The flag is Streamlit's
    internal one; should it move, only that first visit's menu is affected.
    """
    folder_mode = PagesManager is not None and getattr(PagesManager, "uses_pages_directory", False)
    if folder_mode and not st.session_state.get(_LEFT_FOLDER_MODE):
        PagesManager.uses_pages_directory = False
        st.session_state[_LEFT_FOLDER_MODE] = True
        st.rerun()
    st.set_page_config(page_title=title, page_icon=FAVICON, layout="wide")
