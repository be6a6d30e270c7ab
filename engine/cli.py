"""``ennuste``: run, validate, explain and calibrate scenarios from the command line.

Exit codes: 0 success; 2 a user error (bad file, field or option), reported on one line on stderr
without a traceback; nothing is written on failure.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .baseline import load_baseline
from .errors import UserError
from .scenario import json_schema, load_scenario

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: one line, exit 2
        self.exit(EXIT_USER_ERROR, f"ennuste: error: {message} (see `ennuste {self.prog.split()[-1]} --help`)\n"
                  if " " in self.prog else f"ennuste: error: {message} (see `ennuste --help`)\n")


def _positive_int(name: str, lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
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
    run.add_argument("--out", metavar="DIR", help="write year_end.csv, monthly.csv and deviations.csv to DIR")
    run.add_argument("--format", choices=("csv", "parquet"), default="csv", help="output format with --out")
    run.add_argument("--quiet", action="store_true", help="do not print the tables")

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("files", nargs="+", metavar="FILE")

    sub.add_parser("schema", help="print the JSON Schema of a scenario file")

    cal = sub.add_parser("calibrate", help="fit the free parameters to the report and save them with the date")
    cal.add_argument("--dry-run", action="store_true", help="print the fit without saving it")
    return p


def _cmd_run(args: argparse.Namespace) -> int:
    from .report_table import multi_year_table, year_end_table
    from .result import combine, write_tables
    from .simulate import simulate

    baseline = load_baseline()
    scenarios = [load_scenario(f) for f in args.files]  # validate all before running any
    ids = [s.id for s in scenarios]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise UserError(f"two files share the stem '{dup[0]}'; the 'scenario' column must be unique", field="FILE")
    results = [simulate(baseline, s, draws=args.draws, seed=args.seed) for s in scenarios]
    if args.out:
        write_tables(combine(results), args.out, args.format)
    if not args.quiet:
        for r in results:
            print(year_end_table(r))
            multi = multi_year_table(r)
            if multi:
                print()
                print(multi)
            print()
        if args.out:
            print(f"Kirjoitettu / written: {args.out}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    for f in args.files:
        s = load_scenario(f)
        print(f"{f}: ok ({s.name})")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from . import calibrate

    cal = calibrate.calibrate(load_baseline())
    print(calibrate.table(cal))
    if not args.dry_run:
        print(f"\nsaved: {calibrate.write(cal)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "calibrate":
            return _cmd_calibrate(args)
        if args.command == "schema":
            print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
            return 0
    except UserError as exc:
        print(f"ennuste: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("ennuste: interrupted; nothing was written", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command}")
    return EXIT_USER_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
