"""The README's launcher (serve.py): the server runs the page once before it answers anyone.

What the warmed page then shows a visitor is checked in a real browser by tests/test_app_browser.py
(which starts the page through serve.py); here, without a browser, that the warm-up ran, ran the page
without an error, and was over before /_stcore/health (the first thing any visitor's page asks) answered.
"""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

from .conftest import ROOT
from .test_app_browser import _free_port


def test_serve_warms_the_page_before_answering_its_first_request(tmp_path):
    port = _free_port()
    log_path = tmp_path / "streamlit.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180  # after an install the warm-up compiles the month kernel
            while True:
                assert proc.poll() is None, f"serve.py exited: {log_path.read_text()[-2000:]}"
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                        answered = r.read() == b"ok"
                except OSError:
                    answered = False
                if answered:
                    break
                assert time.monotonic() < deadline, "serve.py did not answer /_stcore/health within 180 s"
                time.sleep(0.2)
            said = log_path.read_text()  # read the moment health first answered: the warm-up is done by then
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert "ETP-ennuste: page warmed in" in said, said[-2000:]
    assert "did not finish" not in said and "Traceback" not in said, said[-2000:]


def test_serve_run_directly_says_how_to_start_it():
    done = subprocess.run([sys.executable, "serve.py"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "streamlit run serve.py" in done.stderr
