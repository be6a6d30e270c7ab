"""``ennuste``: run, report, validate, explain, calibrate and back-test scenarios, ask what moves a figure
(``sensitivity``) and what it takes to hit a target (``solve``), and start and check period packs.

Exit codes: 0 success; 2 a user error (bad file, field or option, an ``--out`` that must not be
written, a run too big for the machine's memory), reported on one line on stderr without a traceback;
130 interrupted (Ctrl-C or SIGTERM). Nothing is written on failure.
"""
from __future__ import annotations

import argparse
import gc
import json
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from engine import __version__
from engine.load.baseline import load_baseline
from engine.common.errors import UserError
from engine.load.scenario import json_schema, load_scenario
from engine.pipeline import check_central

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: one line, exit 2
        self.exit(EXIT_USER_ERROR, f"ennuste: error: {message} (see `ennuste {self.prog.split()[-1]} --help`)\n"
                  if " " in self.prog else f"ennuste: error: {message} (see `ennuste --help`)\n")


def _positive_int(name: str, lo: int, hi: int):
    def parse(text: str) -> int:
        # int() also takes "1_000", " 12", "+3" and other scripts' digits ("١٠"): only plain 0-9 here
        if not re.fullmatch(r"[0-9]+", text):
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise argparse.ArgumentTypeError(f"{name} must be a whole number written with the digits 0-9, "
                                             f"got {shown!r}")
        v = int(text)
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{name} must be within {lo}…{hi}, got {v}")
        return v
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ennuste", description="Scenario forecasts for Lahti's vitality and employment services (ETP).")
    p.add_argument("--version", action="version", version=f"etp-ennuste {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="forecast one or more scenario files")
    run.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files (e.g. scenarios/*.toml)")
    run.add_argument("--draws", type=_positive_int("--draws", 1, 1_000_000), default=1,
                     help="Monte Carlo paths (default 1 = the central path)")
    run.add_argument("--seed", type=_positive_int("--seed", 0, 2**63 - 1), default=0, help="random seed (default 0)")
    run.add_argument("--out", metavar="DIR",
                     help="write year_end, monthly, deviations (and comparison, for several files) to DIR: a new "
                          "folder, an empty one, or one that holds only a previous ennuste output")
    run.add_argument("--force", action="store_true",
                     help="with --out: write into a folder that holds other files too, replacing only "
                          "ennuste's own tables there")
    run.add_argument("--format", choices=("csv", "parquet"), default="csv", help="output format with --out")
    run.add_argument("--jobs", "-j", type=_positive_int("--jobs", 1, 256), default=None,
                     help="worker processes (default: all cores)")
    run.add_argument("--baseline", metavar="FILE",
                     help="scenario to compare against (default: baseline.toml of the scenario tree)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors (no tables, no progress bar)")
    run.add_argument("--xlsx", metavar="FILE.xlsx",
                     help="also write the budget year in the report's layout (a sheet per scenario) to FILE.xlsx")
    _period_option(run)

    rep = sub.add_parser("report", help="write the monitoring report's forecast section for a scenario "
                                        "(.xlsx, .html or .md, from --out's suffix)")
    rep.add_argument("file", metavar="FILE", help="scenario TOML file")
    rep.add_argument("--draws", type=_positive_int("--draws", 1, 1_000_000), default=1000,
                     help="Monte Carlo paths (default 1000: the report shows P10–P90)")
    rep.add_argument("--seed", type=_positive_int("--seed", 0, 2**63 - 1), default=0, help="random seed (default 0)")
    rep.add_argument("--lang", choices=("fi", "en"), default="fi", help="language of the report (default fi)")
    rep.add_argument("--out", metavar="FILE", required=True,
                     help="report.xlsx, report.html or report.md (Markdown writes its charts as PNG files beside "
                          "it); a new file or one ennuste wrote")
    _period_option(rep)

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("files", nargs="+", metavar="FILE")
    _period_option(val)

    sub.add_parser("schema", help="print the JSON Schema of a scenario file")

    exp = sub.add_parser("explain", help="show a scenario resolved: changed parameters by period and shocks in words")
    exp.add_argument("file", metavar="FILE")
    _period_option(exp)

    def target_args(q: argparse.ArgumentParser) -> None:
        q.add_argument("file", metavar="FILE", help="scenario TOML file")
        q.add_argument("--measure", default="tmt_cost_keur", help="year_end measure (default tmt_cost_keur)")
        q.add_argument("--unit", default="tyollisyys", help="unit of the measure (default tyollisyys)")
        q.add_argument("--year", type=_positive_int("--year", 1900, 2200), default=None,
                       help="year (default: the budget year)")
        q.add_argument("--draws", type=_positive_int("--draws", 2, 1_000_000), default=1000,
                       help="Monte Carlo paths per run (default 1000)")
        q.add_argument("--seed", type=_positive_int("--seed", 0, 2**63 - 1), default=0, help="random seed (default 0)")
        _period_option(q)

    sen = sub.add_parser("sensitivity", help="which inputs move a year-end figure most: tornado and variance shares")
    target_args(sen)
    sen.add_argument("--out", metavar="DIR", help="write sensitivity.csv, sensitivity.json (Vega-Lite) and "
                                                  "sensitivity.png to DIR (as `run --out`)")
    sen.add_argument("--force", action="store_true", help="with --out: as `run --force`")

    sol = sub.add_parser("solve", help="the value of one control at which a year-end figure meets a target")
    target_args(sol)
    sol.add_argument("--control", required=True,
                     help="activation, fazer_jobs, refugees, downturn or a number parameter's name")
    goal = sol.add_mutually_exclusive_group(required=True)
    goal.add_argument("--at-most", type=float, metavar="LEVEL", help="the figure stays at or below LEVEL")
    goal.add_argument("--at-least", type=float, metavar="LEVEL", help="the figure stays at or above LEVEL")
    sol.add_argument("--probability", type=float, default=0.8, help="with this probability (default 0.8)")
    sol.add_argument("--range", type=float, nargs=2, metavar=("LO", "HI"), help="the control's range to search")

    cal = sub.add_parser("calibrate", help="fit the free parameters to the report and save them with the date")
    cal.add_argument("--dry-run", action="store_true", help="print the fit without saving it")
    _period_option(cal, " (the fit is stored in the user's cache under the pack's content hash, not in engine/data)")

    per = sub.add_parser("period", help="start a new period's data pack from the template, or check a pack")
    per_sub = per.add_subparsers(dest="period_command", required=True, parser_class=_Parser)
    tpl = per_sub.add_parser("template", help="write an Excel template with instructions and the Lahti 1–6/2022 example")
    tpl.add_argument("--out", metavar="FILE.xlsx", required=True, help="the workbook to write (a new file)")
    tpl.add_argument("--force", action="store_true", help="replace FILE.xlsx if it exists")
    chk = per_sub.add_parser("check", help="check a period pack (.xlsx or a folder of CSV files) and summarise it")
    chk.add_argument("file", metavar="FILE", help="the pack: an .xlsx workbook or a folder of CSV files")

    bt = sub.add_parser("backtest", help="how past forecasts fared: rolling origins over the labour history, "
                                         "against persistence, seasonal naive and ETS; the 2021 ledger")
    bt.add_argument("--out", metavar="DIR", help="write backtest.csv, backtest_forecasts.csv, backtest_ledger.csv "
                                                 "and the chart (backtest_chart.json / .html) to DIR")
    bt.add_argument("--force", action="store_true", help="with --out: as for `ennuste run`")
    bt.add_argument("--draws", type=_positive_int("--draws", 10, 100_000), default=None,
                    help="the model's Monte Carlo paths at each origin (default 500)")
    bt.add_argument("--seed", type=_positive_int("--seed", 0, 2**63 - 1), default=None,
                    help="random seed (default 20220630)")
    _period_option(bt, " (its labour history gives the origins)")
    return p


def _period_option(parser: argparse.ArgumentParser, extra: str = "") -> None:
    parser.add_argument("--period", metavar="FILE",
                        help="the period pack to forecast from (.xlsx or a folder of CSV files; default: the bundled "
                             "Lahti Jan–Jun 2022 report)" + extra)


def _cmd_run(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from engine.commands import batch
    from engine.results import output
    from engine.results.report_table import check_xlsx_target, report_layout, write_report_xlsx

    baseline = load_baseline(args.period)
    scenarios = [load_scenario(f) for f in args.files]  # validate all before running any
    ids = [s.id for s in scenarios]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise UserError(f"two files share the stem '{dup[0]}'; the 'scenario' column must be unique", field="FILE")
    base_path = batch.find_baseline(scenarios, args.baseline)
    extra = []
    base = None
    if base_path is not None and len(scenarios) > 1 or args.baseline:
        base = load_scenario(base_path)  # here, in this process, before any worker starts
        if base.id in ids and Path(scenarios[ids.index(base.id)].file).resolve() != base_path.resolve():
            raise UserError(f"the baseline's stem '{base.id}' is taken by another file", file=str(base_path))
        if base.id not in ids:
            extra = [base]
    runs = scenarios + extra
    for s in runs:
        check_central(baseline, s)  # every file's refusals before any run starts
    inputs = [f for s in runs for f in s.chain] + ([args.period] if args.period else [])
    batch.check_memory(baseline, runs, args.draws, args.jobs)
    if args.xlsx:
        check_xlsx_target(args.xlsx)  # before computing, like --out
    reserved = output.reserve(args.out, inputs, args.force) if args.out is not None else nullcontext()
    with reserved as writer:  # a bad or busy --out is refused here, before computing
        try:
            outputs = batch.run_batch(runs, args.draws, args.seed, args.jobs, progress=not args.quiet,
                                      period=args.period)
            tables = batch.tables(outputs, base.id if base else None)
            if extra:  # run for the comparison only
                for name in ("year_end", "monthly", "deviations"):
                    tables[name] = tables[name][tables[name].scenario != base.id].reset_index(drop=True)
            layouts = {s.id: report_layout(tables["year_end"], baseline, s.id) for s in scenarios}
            tables["report_layout"] = pd.concat(layouts.values(), ignore_index=True)
            if args.xlsx:
                write_report_xlsx(layouts, args.xlsx)
            if writer is not None:
                writer.write(tables, args.format)
            _print_run(args, baseline, scenarios, tables)
        except KeyboardInterrupt:
            if writer is not None and writer.written:
                raise KeyboardInterrupt(f"the tables were written to {args.out}") from None
            raise
    return 0


def _print_run(args: argparse.Namespace, baseline, scenarios: list, tables: dict) -> None:
    from engine.results.report_table import comparison_table, multi_year_table, report_layout_table, year_end_table

    if not args.quiet:
        names = {u: baseline.unit_name(u) for u in baseline.units + ("etp",)}
        for s in scenarios:
            print(year_end_table(tables["year_end"], tables["deviations"], s.id, s.name, baseline.budget_year, names,
                                 args.draws))
            print()
            layout = tables["report_layout"]
            print(report_layout_table(layout[layout.scenario == s.id].reset_index(drop=True), s.name))
            multi = multi_year_table(tables["year_end"], s.id, names)
            if multi:
                print()
                print(multi)
            print()
        if "comparison" in tables:
            for year in sorted(tables["comparison"].year.unique())[1::3]:
                print(comparison_table(tables["comparison"], int(year)))
            print()
        for written in (args.out, args.xlsx):
            if written is not None:
                print(f"Kirjoitettu / written: {written}")


def _cmd_report(args: argparse.Namespace) -> int:
    from engine.commands import batch
    from engine.pipeline import simulate
    from engine.results.report import check_target, write_report

    baseline = load_baseline(args.period)
    scenario = load_scenario(args.file)
    check_target(args.out)  # before computing anything, like run's --out
    check_central(baseline, scenario)
    batch.check_memory(baseline, [scenario], args.draws, 1)
    result = simulate(baseline, scenario, draws=args.draws, seed=args.seed)
    for path in write_report(result, args.out, args.lang):
        print(f"Kirjoitettu / written: {path}")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from engine.commands.explain import explain
    from engine.model.calibration_cache import parameters_for

    scenario = load_scenario(args.file)
    if args.period is None:
        print(explain(scenario))
        return 0
    baseline = load_baseline(args.period)
    check_central(baseline, scenario)  # the pack's refusals (a shock before its as-of month, …) first
    print(f"Period: {baseline.file} — {baseline.raw.meta.city}, as of {baseline.as_of}")
    print(explain(scenario, parameters_for(baseline)))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    baseline = load_baseline(args.period)
    for f in args.files:
        s = load_scenario(f)
        check_central(baseline, s)  # what a run would refuse, `validate` refuses too
        print(f"{f}: ok ({s.name})")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from engine.model import calibrate

    if args.period is not None:
        from engine.model import calibration_cache

        baseline = load_baseline(args.period)
        cal = calibrate.calibrate(baseline) if args.dry_run else calibration_cache.fit(baseline)
        print(f"Period: {baseline.file} — as of {baseline.as_of}")
        print(calibrate.table(cal))
        if not args.dry_run:
            print(f"\ncached: {calibration_cache.cache_path(baseline)}")
        return 0
    cal = calibrate.calibrate(load_baseline())
    print(calibrate.table(cal))
    if not args.dry_run:
        print(f"\nsaved: {calibrate.write(cal)}")
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from engine.commands import backtest
    from engine.results import output

    baseline = load_baseline(args.period)
    reserved = output.reserve(args.out, (), args.force) if args.out is not None else nullcontext()
    with reserved as writer:  # a bad or busy --out is refused before the origins are calibrated
        bt = backtest.backtest(baseline, args.draws or backtest.PATHS, backtest.SEED if args.seed is None else args.seed)
        print(backtest.report(bt))
        if writer is not None:
            spec = backtest.chart_spec(bt.scores)
            writer.write({"backtest": bt.scores, "backtest_forecasts": bt.forecasts, "backtest_ledger": bt.ledger,
                          "backtest_chart.json": (json.dumps(spec, indent=1, ensure_ascii=False) + "\n").encode(),
                          "backtest_chart.html": backtest.chart_html(spec).encode()})
            print(f"\nKirjoitettu / written: {args.out}")
    return 0


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from engine.commands import sensitivity as sens
    from engine.results import output

    baseline = load_baseline(args.period)
    scenario = load_scenario(args.file)
    target = sens.check_target(baseline, scenario, args.measure, args.unit, args.year)
    reserved = output.reserve(args.out, scenario.chain, args.force) if args.out is not None else nullcontext()
    with reserved as writer:
        table, mean = sens.sensitivity(baseline, scenario, target, args.draws, args.seed)
        spec = sens.tornado_spec(table, mean, target)
        if writer is not None:
            writer.write({"sensitivity": table, "sensitivity.json": json.dumps(spec, indent=1).encode(),
                          "sensitivity.png": sens.png(spec)})
    print(f"{scenario.name}: {target.label()}, mean {mean:,.1f} ({args.draws} paths, seed {args.seed})")
    fmt = {**{c: "{:,.4g}".format for c in ("low_value", "high_value")},
           **{c: "{:,.1f}".format for c in ("measure_low", "measure_high", "swing")}, "variance_share": "{:.3f}".format}
    print(table.to_string(index=False, formatters=fmt))
    if args.out is not None:
        print(f"Kirjoitettu / written: {args.out}")
    return 0


def _cmd_solve(args: argparse.Namespace) -> int:
    import math

    from engine.commands import goal_seek, sensitivity as sens

    for flag in ("at_most", "at_least"):
        v = getattr(args, flag)
        if v is not None and not math.isfinite(v):
            raise UserError(f"value {v!r} is not a finite number", field="--" + flag.replace("_", "-"))
    baseline = load_baseline(args.period)
    scenario = load_scenario(args.file)
    target = sens.check_target(baseline, scenario, args.measure, args.unit, args.year)
    ctl = goal_seek.control(baseline, scenario, args.control, tuple(args.range) if args.range else None)
    ans = goal_seek.goal_seek(baseline, ctl.make, ctl.lo, ctl.hi, target, at_most=args.at_most, at_least=args.at_least,
                              probability=args.probability, draws=args.draws, seed=args.seed, current=ctl.current)
    print(f"{scenario.name}: {ans.describe(ctl.name, target)} [{ctl.unit}; {ans.evaluations} runs of {args.draws} "
          f"paths, seed {args.seed}]")
    return 0


def _cmd_period(args: argparse.Namespace) -> int:
    from engine.commands import period

    if args.period_command == "template":
        written = period.write_template(args.out, force=args.force)
        print(f"Kirjoitettu / written: {written}")
        print(f"Next: fill it in, then `ennuste period check {written}` and "
              f"`ennuste run --period {written} scenarios/baseline.toml`")
        return 0
    print(period.summary(load_baseline(args.file)))
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGTERM (kill, a scheduler's stop) takes Ctrl-C's path: workers stopped, nothing written, exit 130
    try:
        previous = signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread: leave signals to the caller
        previous = None
    try:
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "report":
            return _cmd_report(args)
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "explain":
            return _cmd_explain(args)
        if args.command == "calibrate":
            return _cmd_calibrate(args)
        if args.command == "backtest":
            return _cmd_backtest(args)
        if args.command == "sensitivity":
            return _cmd_sensitivity(args)
        if args.command == "solve":
            return _cmd_solve(args)
        if args.command == "period":
            return _cmd_period(args)
        if args.command == "schema":
            print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
            return 0
    except UserError as exc:
        print(f"ennuste: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt as exc:
        print(f"ennuste: interrupted; {exc.args[0] if exc.args else 'nothing was written'}", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    parser.error(f"unknown command {args.command}")
    return EXIT_USER_ERROR


def entry() -> None:
    """The ``ennuste`` command (and ``python -m engine``): :func:`main`, then exit with its code.

    The objects alive at the end are frozen out of the garbage collector first: the interpreter's last
    collections at shutdown would otherwise walk every one of them (the imported libraries', numba's)
    to free memory the process gives back by exiting anyway, 0.2–0.4 s after every command. Files are
    closed before main returns; only the collector's sweep over cycles is skipped, not atexit handlers
    or the flushing of stdout and stderr."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
