"""The README's launcher (serve.py): the server runs the page once before it answers anyone.

What the warmed page then shows a visitor is checked in a real browser by tests/test_app_browser.py
(which starts the page through serve.py); here, without a browser, that the warm-up ran, ran the page
without an error, and was over before /_stcore/health (the first thing any visitor's page asks) answered.
"""
from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT
from .test_app_browser import serve


def test_serve_warms_the_page_before_answering_its_first_request(tmp_path):
    with serve(tmp_path) as (_url, log_path):
        said = log_path.read_text()  # read the moment health first answered: the warm-up is done by then
    assert "ETP-ennuste: page warmed in" in said, said[-2000:]
    assert "did not finish" not in said and "Traceback" not in said, said[-2000:]


def test_serve_run_directly_says_how_to_start_it():
    done = subprocess.run([sys.executable, "serve.py"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "streamlit run serve.py" in done.stderr
