"""UI helpers for the Streamlit what-if app (``app.py``): Finnish number formatting, the mapping from
sidebar controls to a scenario document, result tables for the page, and Altair charts.

Nothing here imports Streamlit: the app is the only Streamlit module, and the engine knows nothing
of either.
"""
