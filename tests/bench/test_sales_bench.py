"""The sales benchmark still runs (``bench/sales.py`` at a tiny scale: the partners' data set
of scale 0.001, 100 open opportunities and 1,000 lines): its data build, the board and the
forecast report beside their SQL. No figure is asserted (see test_benchmarks.py)."""

import pytest

from tests.bench.test_benchmarks import TINY, benches, partners_database  # noqa: F401

# one worker runs the benchmarks under pytest-xdist (they share its Redis database and the
# partners data set, which this module builds again for itself)
pytestmark = [pytest.mark.bench, pytest.mark.xdist_group("bench"), pytest.mark.timeout(600)]


def test_the_sales_benchmark_builds_its_deals_and_measures_board_and_report(
    benches,  # noqa: F811
    partners_database,  # noqa: F811
):
    output = benches.run("bench/sales.py", BENCH_WEB_WORKERS="1", timeout=500, **TINY)
    assert "sales: writing 100 open opportunities" in output or "already there" in output
    assert "(a) The pipeline board" in output and "pipeline board" in output
    assert "(b) The forecast report" in output and "forecast report" in output
    assert "target p95 ≤ 100 ms" in output and "≤ 2 × SQL" in output
    assert "(c) A 200-line quote's PDF" in output
