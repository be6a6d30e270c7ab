"""Serve the what-if page (app.py) warmed before its first visitor:

    .venv/bin/streamlit run serve.py            # http://localhost:8501; takes every `streamlit run` flag

``streamlit run app.py`` still works, but there the first visitor waits while the server imports the
engine, loads the bundled pack, fits or reads its calibration, loads the month kernel and runs the
default what-if (about 5 s on the 2-core reference machine). Here the server does all that in its
start-up, before it answers ``/_stcore/health`` or serves a page: Streamlit's ``st.App`` lifespan hook
runs the page once, in this process, in a session of its own (the one Streamlit's script health
check uses), so the modules stay imported, the kernel loaded and the page's ``st.cache_resource`` /
``st.cache_data`` entries (the pack, the scenarios, the control domains, the default runs and their
tables) filled for every later session. What the warm-up made is then frozen out of the garbage
collector's full passes (``gc.freeze``).
"""
from __future__ import annotations

import gc
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from streamlit.runtime import Runtime

PAGE = Path(__file__).resolve().parent / "app.py"


@asynccontextmanager
async def lifespan(_app):
    start = time.perf_counter()
    try:
        ok, why = await Runtime.instance().does_script_run_without_error()
    except Exception as exc:  # noqa: BLE001  a Streamlit internal: if it changes, serve cold rather than not at all
        ok, why = False, f"{type(exc).__name__}: {exc}"
    took = time.perf_counter() - start
    # What the warm-up made lives as long as the server (modules, the pack, the kernel, cached runs): out
    # of the collector's full passes, which otherwise scan it all every ~10 reruns (~130 ms a pass: the
    # slowest reruns of a session, measured through AppTest)
    gc.collect()
    gc.freeze()
    print(f"ETP-ennuste: page warmed in {took:.1f} s" if ok else
          f"ETP-ennuste: warming the page did not finish ({why}) after {took:.1f} s; serving it, the first visitor "
          "pays the rest (an error shows on the page)",
          file=sys.stderr, flush=True)
    yield


app = st.App(PAGE, lifespan=lifespan)

if __name__ == "__main__":  # Streamlit's App.run() would take no `--server.*` flags: one way to start it
    sys.exit("start the page with: streamlit run serve.py [--server.port PORT ...]")
