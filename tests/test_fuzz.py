"""Fuzz: mutated bundled scenarios either run to finite, in-range outputs or are refused on one line.

Hypothesis drives the mutations of tests/fuzzing.py (numbers to extremes, negatives, huge values and
NaN strings; keys dropped or duplicated; types changed; unicode; deep nesting; odd ``extends``;
BOMs and truncations). Each case runs ``ennuste run FILE --draws 1`` in-process and must end in

* exit 0 with every CSV finite, rates within 0–100 % and stocks of persons ≥ 0, or
* exit 2 with exactly one line ``ennuste: error: …`` of at most 500 characters,

never another exception; and ``ennuste validate`` must refuse what ``run`` refuses (issue 9).
The normal run tries a bounded number of cases (ETP_FUZZ_EXAMPLES, default 40, ~10 s of CPU); a longer
run is ``ETP_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py`` (see README), and
``tools/fuzz_campaign.py`` counts outcomes over a seeded campaign.
"""
from __future__ import annotations

import contextlib
import io
import itertools
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import fuzzing

EXAMPLES = int(os.environ.get("ETP_FUZZ_EXAMPLES", "40"))
SOURCES = fuzzing.bundled()
_counter = itertools.count()


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return fuzzing.make_tree(tmp_path_factory.mktemp("fuzz"))


def _validate(file) -> tuple[int, str]:
    from engine.commands.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["validate", str(file)])
    return code, err.getvalue()


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(r=st.randoms(use_true_random=False))
def test_mutated_scenario_runs_or_is_refused_on_one_line(tree, r: random.Random):
    source, text = fuzzing.mutate(r, SOURCES)
    n = next(_counter)
    file = tree / f"fuzz_{n}.toml"
    file.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = tree.parent / f"out_{n}"
    outcome, detail = fuzzing.judge(file, out, draws=1)
    assert outcome in ("refused", "ran"), f"{outcome} from a mutation of {source}: {detail}\n--- file ---\n{text[:3000]}"
    code, err = _validate(file)
    if outcome == "refused":
        assert code == 2, f"run refused ({detail}) but validate said ok\n--- file ---\n{text[:3000]}"
        assert err.strip() == detail, "validate and run refuse for different reasons"
    else:
        assert code == 0, f"run ran but validate refused: {err}"
