"""Where a full-model run spends its time: cProfile of ``engine.simulate`` + the three tables, grouped
into the model's stages. A profiling aid, not a benchmark (the figures come from pytest-benchmark).

    .venv/bin/python benchmarks/profile_run.py --draws 100000          # stage table + top functions
    .venv/bin/python benchmarks/profile_run.py --draws 100000 --top 0  # stage table only

Stages are cumulative times of named engine functions, so nested rows are parts of the row above;
a function the engine no longer has shows as 0. For a call tree use pyinstrument instead::

    .venv/bin/pip install pyinstrument
    .venv/bin/pyinstrument -r text benchmarks/profile_run.py --draws 100000 --top 0
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (indent, label, [(module file suffix, function name), ...]): cumulative time summed over the functions;
# None: what the level-0 row above leaves after its level-1 rows
STAGES = [
    (0, "simulate", [("engine/pipeline.py", "_simulate")]),
    (1, "random draws (generators + ppf)", [("engine/load/parameters.py", "uniforms"), ("engine/load/parameters.py", "normals"),
                                            ("engine/common/distributions.py", "ppf")]),
    (1, "shocks (compile_shocks)", [("engine/model/shocks.py", "compile_shocks")]),
    (1, "inputs.prepare", [("engine/model/inputs.py", "prepare")]),
    (2, "history + first half-year", [("engine/model/labour.py", "run_history"), ("engine/model/inputs.py", "first_half")]),
    (2, "vacancies (AR(1) noise compiled, product in place)", [("engine/model/labour.py", "vacancies")]),
    (1, "month loop (paths.run: the compiled kernel)", [("engine/model/paths.py", "run")]),
    (1, "ledger (forecast_ledger)", [("engine/model/ledger.py", "forecast_ledger")]),
    (1, "rest of simulate (TMT booking, stacking, copies)", None),
    (0, "tables", [("engine/results/result.py", "year_end"), ("engine/results/result.py", "monthly"),
                   ("engine/results/result.py", "deviations")]),
    (1, "percentiles (result.summarise)", [("engine/results/result.py", "summarise")]),
    (1, "pandas (DataFrame, sort_values)", [("pandas/core/frame.py", "__init__"), ("pandas/core/frame.py", "sort_values")]),
    (1, "labour measures (year_end_measures, monthly_measures)",
     [("engine/model/labour.py", "year_end_measures"), ("engine/model/labour.py", "monthly_measures")]),
    (1, "rest of tables (indexing, concatenating, transposed copies)", None),
]


def cumulative(stats: pstats.Stats, targets) -> float:
    total = 0.0
    for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if any(func == name and file.replace("\\", "/").endswith(suffix) for suffix, name in targets):
            total += ct
    return total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--top", type=int, default=20, help="also print the N functions with most own time")
    ap.add_argument("--chunked", action="store_true",
                    help="profile engine.simulate as a caller gets it: above 25 000 paths in chunks, the tables "
                         "built chunk by chunk (default: all paths in one chunk, so the stages compare across runs)")
    args = ap.parse_args(argv)

    import engine

    baseline, scenario = engine.load_baseline(), engine.load_scenario(args.scenario)
    engine.simulate(baseline, scenario, draws=10, seed=args.seed).monthly()  # imports, caches, kernel compile
    prof = cProfile.Profile()
    prof.enable()
    if args.chunked:
        result = engine.simulate(baseline, scenario, draws=args.draws, seed=args.seed)
    else:
        from engine.pipeline import simulate_chunks

        result = next(simulate_chunks(baseline, scenario, args.draws, args.seed, chunk_paths=args.draws + args.draws % 2))
    result.year_end(), result.monthly(), result.deviations()
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    print(f"{args.draws} paths, {Path(args.scenario).name}: {total:.2f} s under cProfile")
    print(f"{'stage':<64}{'s':>8}{'%':>7}")
    parent = children = 0.0
    for indent, label, targets in STAGES:
        if targets is None:
            t = parent - children
        else:
            t = cumulative(stats, targets)
        if indent == 0:
            parent, children = t, 0.0
        elif indent == 1 and targets is not None:
            children += t
        print(f"{'  ' * indent + label:<64}{t:>8.2f}{100 * t / total:>6.1f}%")
    if args.top:
        print()
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
