"""Peak resident memory of one full-model run (simulate + the three tables) in a fresh process.

    .venv/bin/python benchmarks/peak_rss.py --draws 100000      # prints peak RSS in MB and the run time

The figure is ``VmHWM`` from /proc/self/status at the end (the process's high-water mark, imports
included). Not ``ru_maxrss``: Linux carries a forked child's ``ru_maxrss`` over from its parent, so a run
started from a grown pytest process reported pytest's size (3.1 GB against 1.8 standalone). ``--limit-gb`` caps the address space so that a run too big for the machine fails
with MemoryError instead of pushing other processes out of memory.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _hwm_mb() -> float:
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s*(\d+) kB", f.read()).group(1)) / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--tables", default="year_end,monthly,deviations", help="tables to build (comma-separated)")
    ap.add_argument("--limit-gb", type=float, default=None, help="address-space cap (RLIMIT_AS), GB")
    args = ap.parse_args(argv)
    if args.limit_gb:
        cap = int(args.limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    import engine

    baseline, scenario = engine.load_baseline(), engine.load_scenario(args.scenario)
    imported_mb = _hwm_mb()
    start = time.perf_counter()
    result = engine.simulate(baseline, scenario, draws=args.draws, seed=args.seed)
    rows = sum(len(getattr(result, t)()) for t in args.tables.split(",") if t)
    took = time.perf_counter() - start
    peak_mb = _hwm_mb()
    print(json.dumps({"draws": args.draws, "peak_rss_mb": round(peak_mb, 1), "after_imports_mb": round(imported_mb, 1),
                      "seconds": round(took, 3), "table_rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
