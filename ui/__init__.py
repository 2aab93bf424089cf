"""Streamlit helpers shared by the pages: state keys, units, errors, forms, cached runners."""

# With a pages/ folder beside app.py, Streamlit runs a page reached by a direct link (a
# shared scenario link, say) on its own, without app.py, until app.py has called
# st.navigation once in the server's life; the sidebar then lists file names instead of the
# registry's titles. Every page imports this package, so leaving that mode here makes the
# navigation the same for every visitor from their next rerun on. The flag is Streamlit's
# internal one; if it moves, only the sidebar labels of such a first visit are affected.
try:
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
except (ImportError, AttributeError):  # pragma: no cover - other Streamlit versions
    pass
