"""The app's first paint in headless Chromium: a fresh server, then a second visit.

    .venv/bin/python benchmarks/first_paint.py              # the README's launcher, `streamlit run serve.py`
    .venv/bin/python benchmarks/first_paint.py --page app.py  # `streamlit run app.py`: the first visitor warms it

Prints one JSON line.

``fresh_s``: from the first request to a just-started server (its /_stcore/health already answering)
until the 13 KPI cards are on the page; ``fresh_chart_s``: until the margin chart is drawn too.
``second_s`` / ``second_chart_s``: the same for a second visitor (a new browser profile: nothing
cached) on the same server. ``again_s`` / ``again_chart_s``: the first visitor opening the page
again (the frontend's files in its browser cache, as for a planner coming back). ``*_loaded_s``: to
the page's load event (the frontend's own scripts, before the app's script has sent anything).
``server_ready_s``: from starting the server process to /_stcore/health answering (not part of the
paint; with serve.py it includes warming the page).

Times are read in the page (``performance.now()`` from the navigation's start, by a MutationObserver
installed before the page's scripts), each browser first opened on about:blank so its own start-up
page is not on the clock. Until 2026-11-29 07:20 they were read from Selenium around ``driver.get``,
polling the DOM every 0.5 s, with the browser's start-up page still loading: that added about
0.3–0.8 s to each figure (benchmarks/README.md has both). Uses Debian's chromium and
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


# Installed in every page the browser opens, before the page's own scripts: the moments the 13 KPI cards
# and the margin chart's SVG (with its title) are first in the DOM, in ms since the navigation started.
# Read in the page rather than by polling from Selenium, which would add up to its poll interval.
WATCH = """
window.__etp = {};
new MutationObserver(() => {
  const now = performance.now();
  if (!__etp.kpis && document.querySelectorAll('div.etp-kpi').length === 13) __etp.kpis = now;
  if (!__etp.chart && [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg')]
      .some(e => e.textContent.includes('Toimintakate kertym'))) __etp.chart = now;
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


def _paint(driver, url: str) -> tuple[float, float, float]:
    """Seconds from the navigation's start (the request) to the KPI cards, to the margin chart's SVG and
    to the page's load event (Streamlit's frontend loaded, before the app's script has sent anything)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 120, poll_frequency=0.05).until(lambda d: d.execute_script("return window.__etp.chart"))
    kpis, chart, loaded = driver.execute_script(
        "return [__etp.kpis, __etp.chart, performance.getEntriesByType('navigation')[0].loadEventEnd]")
    return kpis / 1000, chart / 1000, loaded / 1000


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
            d.get("about:blank")  # let the new browser finish its own start-up page before the clock starts
            d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
            return d

        first = browser("first")  # the browser starts before the clock: its own start-up is not the app's
        fresh = _paint(first, url + "/?year=2022")
        second_driver = browser("second")  # a second visitor: a new profile, the same server
        second = _paint(second_driver, url + "/?year=2022")
        again = _paint(first, url + "/?year=2022")  # the first visitor comes back: the frontend in its cache
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
    figures = {"server_ready_s": ready}
    for name, (kpis, chart, loaded) in (("fresh", fresh), ("second", second), ("again", again)):
        figures |= {f"{name}_s": kpis, f"{name}_chart_s": chart, f"{name}_loaded_s": loaded}
    print(json.dumps({"page": page} | {k: round(v, 3) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
