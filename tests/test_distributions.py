"""The closed-form inverse CDFs (engine.common.distributions.Distribution.ppf) give scipy.stats' numbers
bit for bit: a run's draws did not change when the engine stopped calling scipy.stats per entry."""
import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtri

from engine.common.distributions import Distribution

LAWS = [
    {"dist": "normal", "mean": 24.2, "sd": 1.7},
    {"dist": "normal", "mean": -3.0, "sd": 0.05},
    {"dist": "lognormal", "median": 1.0, "sigma": 0.12},
    {"dist": "lognormal", "median": 7539.0, "sigma": 0.4},
    {"dist": "triangular", "low": 0.8, "mode": 1.0, "high": 1.3},
    {"dist": "triangular", "low": -500.0, "mode": -500.0, "high": 200.0},  # mode at an end: c = 0
    {"dist": "triangular", "low": 10.0, "mode": 25.0, "high": 25.0},  # c = 1
    {"dist": "uniform", "low": 0.9, "high": 1.1},
]


def _scipy(d: Distribution):
    return d.frozen()


@pytest.mark.parametrize("spec", LAWS, ids=lambda s: s["dist"])
def test_closed_form_equals_scipy_bit_for_bit(spec):
    d = Distribution.from_mapping(spec)
    rng = np.random.default_rng(7)
    u = np.concatenate([rng.random(20_000), [1e-12, 1e-9, 0.5, 1 - 1e-9, 1 - 1e-12]])
    np.testing.assert_array_equal(d.ppf(u), np.asarray(_scipy(d).ppf(u), dtype=float))
    # edges and outside (0 and 1 give the support's ends, outside NaN): as scipy
    edge = np.array([0.0, 1.0, -0.1, 1.1, 0.3])
    np.testing.assert_array_equal(d.ppf(edge), np.asarray(_scipy(d).ppf(edge), dtype=float))
    assert float(d.ppf(0.5)) == float(_scipy(d).ppf(0.5))  # a scalar, e.g. the central value


def test_ledger_remainder_normal_is_scipys():
    """engine.model.ledger draws its standard normals with scipy.special.ndtri: norm.ppf's own numbers."""
    u = np.random.default_rng(3).random(10_000)
    np.testing.assert_array_equal(ndtri(u), stats.norm.ppf(u))
