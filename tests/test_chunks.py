"""Runs in chunks of paths (issue 14, bounded memory): a run of N paths made in chunks gives the tables of
one unchunked run of N paths. The oracle is the unchunked run itself (engine.simulate below CHUNK_PATHS);
the percentiles must be equal bit for bit, the means within 1e-9 k€ (a sum in a different order)."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.pipeline import grid_for, simulate_chunks
from engine.results.result import ChunkedResult

STATS = ("p10", "p50", "p90")


def _same_tables(full, chunked) -> None:
    for table in ("year_end", "monthly", "deviations", "margin_ytd"):
        a, c = getattr(full, table)(), getattr(chunked, table)()
        keys = [k for k in a.columns if k not in ("mean",) + STATS]
        assert a[keys].equals(c[keys]), table  # the same rows in the same order
        for s in STATS:
            np.testing.assert_array_equal(a[s].to_numpy(), c[s].to_numpy(), err_msg=f"{table} {s}")
        np.testing.assert_allclose(c["mean"].to_numpy(), a["mean"].to_numpy(), rtol=0, atol=1e-9, err_msg=table)


@pytest.mark.parametrize("name,threaded", [("baseline", False), ("te24_reform", False), ("refugees", False),
                                          ("baseline", True)])
def test_chunked_run_equals_one_run(baseline, name, threaded, monkeypatch):
    # 3 001 paths in chunks of 1 000 (the last one a single path, the odd one out of an antithetic pair);
    # threaded: the chunks' series spread over two threads, as a 25 000-path chunk's are
    if threaded:
        monkeypatch.setattr("engine.results.result.SUMMARISE_THREADED_VALUES", 0)
    sc = engine.load_scenario(f"scenarios/{name}.toml")
    full = engine.simulate(baseline, sc, draws=3001, seed=5)
    chunked = ChunkedResult.collect(simulate_chunks(baseline, sc, 3001, 5, chunk_paths=1000))
    assert chunked.draws == 3001
    _same_tables(full, chunked)


def test_chunks_name_the_floor_driver_only_where_one_run_does(baseline, tmp_path):
    # "booked above forecast": elinvoima's sales (budget 276 k€ < booked 605 k€, test_controller) are raised
    # on the paths; tyollisyys has nothing raised. Every chunk names the driver for both units (so their rows
    # match) and the table keeps it only where one unchunked run has it: elinvoima, not tyollisyys
    path = tmp_path / "plain.toml"
    path.write_text('name = "plain"\n[settings]\nestimator = "report"\nhorizon_end = "2023-12"\n')
    sc = engine.load_scenario(path)
    full = engine.simulate(baseline, sc, draws=2000, seed=3)
    chunked = ChunkedResult.collect(simulate_chunks(baseline, sc, 2000, 3, chunk_paths=400))
    floor = full.deviations().query("driver == 'booked_above_forecast'")
    assert set(floor.unit) == {"elinvoima"}
    _same_tables(full, chunked)


def test_a_chunk_draws_its_paths_numbers(baseline):
    # path i's uniforms and noise rows are the i-th of one run's, whichever chunk it falls in
    sc = engine.load_scenario("scenarios/baseline.toml")
    grid = grid_for(baseline, sc)
    params = sc.parameters()
    whole = params.sample(grid, 900, 7)
    streams: dict = {}
    parts = [params.sample(grid, n, 7, offset=o, total=900, streams=streams) for o, n in ((0, 400), (400, 400), (800, 100))]
    T = len(grid)
    np.testing.assert_array_equal(np.concatenate([p.normals("labour.cycle", T) for p in parts]), whole.normals("labour.cycle", T))
    np.testing.assert_array_equal(np.concatenate([p.uniforms("a.key") for p in parts]), whole.uniforms("a.key"))
    # a chunk made on its own (no shared stream states) draws the same rows
    alone = params.sample(grid, 100, 7, offset=800, total=900)
    np.testing.assert_array_equal(alone.normals("labour.vacancies", T), whole.normals("labour.vacancies", T)[800:])
    first = next(simulate_chunks(baseline, sc, 900, 7, chunk_paths=400))
    np.testing.assert_array_equal(first.labour.unemployed, engine.simulate(baseline, sc, draws=900, seed=7).labour.unemployed[:400])
