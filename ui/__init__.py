"""Streamlit helpers shared by the pages: state keys, units, errors, forms, cached runners."""
