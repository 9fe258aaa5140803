"""The drill sizing: requests per window grow with stricter alpha, more power and a smaller drop,
and at the size it names the exact one-sided Fisher test has the power asked for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binom, fisher_exact

from replaylab.drills.power import power_check, required_n

rates = st.floats(min_value=0.05, max_value=1.0)
alphas = st.floats(min_value=0.001, max_value=0.2)
powers = st.floats(min_value=0.5, max_value=0.99)


@given(p0=rates, drop=st.floats(min_value=0.05, max_value=0.95), a=alphas, b=alphas, power=powers)
def test_a_stricter_alpha_needs_no_fewer_requests(p0: float, drop: float, a: float, b: float, power: float) -> None:
    p1 = p0 * (1 - drop)
    strict, loose = min(a, b), max(a, b)
    n_strict, n_loose = required_n(p0=p0, p1=p1, alpha=strict, power=power), required_n(p0=p0, p1=p1, alpha=loose, power=power)
    assert n_strict is not None and n_loose is not None and n_strict >= n_loose


@given(p0=rates, drop=st.floats(min_value=0.05, max_value=0.95), alpha=alphas, a=powers, b=powers)
def test_more_power_needs_no_fewer_requests(p0: float, drop: float, alpha: float, a: float, b: float) -> None:
    p1 = p0 * (1 - drop)
    low, high = required_n(p0=p0, p1=p1, alpha=alpha, power=min(a, b)), required_n(p0=p0, p1=p1, alpha=alpha, power=max(a, b))
    assert low is not None and high is not None and high >= low


@given(
    p0=rates, a=st.floats(min_value=0.02, max_value=1.0), b=st.floats(min_value=0.02, max_value=1.0), alpha=alphas, power=powers
)
def test_a_bigger_drop_needs_no_more_requests(p0: float, a: float, b: float, alpha: float, power: float) -> None:
    small, big = p0 * min(a, b) * 0.999, p0 * max(a, b) * 0.999  # drops as shares of p0
    n_small = required_n(p0=p0, p1=p0 - small, alpha=alpha, power=power)
    n_big = required_n(p0=p0, p1=p0 - big, alpha=alpha, power=power)
    assert n_small is not None and n_big is not None and n_big <= n_small


@given(p0=st.floats(min_value=0.0, max_value=1.0), p1=st.floats(min_value=0.0, max_value=1.0), n=st.integers(0, 500))
def test_no_drop_needs_nothing_and_the_check_agrees(p0: float, p1: float, n: int) -> None:
    check = power_check(p0=p0, p1=p1, n_used=n)
    assert (check.n_required is None) == (p1 >= p0)
    assert check.sufficient == (check.n_required is None or n >= check.n_required)
    assert (check.warning() is None) == check.sufficient


def _fisher_power(n: int, p0: float, p1: float, alpha: float) -> float:
    """Exact power of the one-sided Fisher test (fault window below baseline), n requests per window."""
    total = 0.0
    for kb in range(n + 1):
        for kw in range(n + 1):
            if fisher_exact([[kw, n - kw], [kb, n - kb]], alternative="less")[1] < alpha:
                total += binom.pmf(kb, n, p0) * binom.pmf(kw, n, p1)
    return float(total)


@pytest.mark.parametrize(("p0", "p1"), [(1.0, 0.5), (0.86, 0.43), (0.8, 0.3)])
def test_the_exact_fisher_test_has_the_power_at_the_size_named(p0: float, p1: float) -> None:
    n = required_n(p0=p0, p1=p1, alpha=0.01, power=0.8)
    assert n is not None
    assert _fisher_power(n, p0, p1, 0.01) >= 0.8
    assert _fisher_power(max(2, n // 2), p0, p1, 0.01) < 0.8  # and half of it is not enough


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="alpha and power"):
        required_n(p0=0.9, p1=0.5, alpha=0.0)
    with pytest.raises(ValueError, match="pass rates"):
        required_n(p0=1.5, p1=0.5)
