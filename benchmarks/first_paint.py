"""The app's first paint in headless Chromium: a fresh server, then a second visit.

    .venv/bin/python benchmarks/first_paint.py              # the README's launcher, `streamlit run serve.py`
    .venv/bin/python benchmarks/first_paint.py --page app.py  # `streamlit run app.py`: the engine warmed by the first visitor

Prints one JSON line.

``fresh_s``: from the first request to a just-started server (its /_stcore/health already answering)
until the 13 KPI cards are on the page; ``fresh_chart_s``: until the margin chart is drawn too.
``second_s`` / ``second_chart_s``: the same for a new browser tab on the same server (Streamlit's
caches warm, the engine imported, the kernel loaded). ``*_loaded_s``: to the page's load event (the
frontend's own scripts, before the app's script has sent anything). ``server_ready_s``: from starting the server
process to /_stcore/health answering (not part of the paint; with serve.py it includes warming the page). Uses Debian's chromium and
chromium-driver, as tests/test_app_browser.py does; nothing is downloaded.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1500,2100")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _paint(driver, url: str) -> tuple[float, float, float]:
    """Seconds from the request to the page's load event (Streamlit's frontend), to the KPI cards, and
    to the margin chart's SVG."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    start = time.monotonic()
    driver.get(url)  # returns at the load event
    loaded = time.monotonic() - start
    WebDriverWait(driver, 120).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "div.etp-kpi")) == 13)
    kpis = time.monotonic() - start
    WebDriverWait(driver, 120).until(lambda d: any(
        "Toimintakate kertymä" in e.text for e in d.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"] svg')))
    return kpis, time.monotonic() - start, loaded


def main(argv: list[str] | None = None) -> int:
    import argparse

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--page", default="serve.py", help="the file `streamlit run` serves (default serve.py)")
    page = parser.parse_args(argv).page
    port = _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="etp-paint-"))
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", page, "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=(tmp / "streamlit.log").open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    drivers = []
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit((tmp / "streamlit.log").read_text()[-2000:])
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.1)
        ready = time.monotonic() - started

        def browser(name):
            options = webdriver.ChromeOptions()
            options.binary_location = str(CHROMIUM)
            for flag in (*FLAGS, f"--user-data-dir={tmp / name}"):
                options.add_argument(flag)
            d = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
            drivers.append(d)
            return d

        first = browser("first")  # the browser starts before the clock: its own start-up is not the app's
        fresh = _paint(first, url + "/?year=2022")
        second_driver = browser("second")  # a second visitor: a new profile, the same server
        second = _paint(second_driver, url + "/?year=2022")
    finally:
        for d in drivers:
            d.quit()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({"page": page, "server_ready_s": round(ready, 3), "fresh_s": round(fresh[0], 3), "fresh_chart_s": round(fresh[1], 3),
                      "fresh_loaded_s": round(fresh[2], 3), "second_s": round(second[0], 3),
                      "second_chart_s": round(second[1], 3), "second_loaded_s": round(second[2], 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
