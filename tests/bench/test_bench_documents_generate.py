"""The document generator's benchmark still runs (``bench/documents_generate.py`` at a tiny
scale): it builds its partners and template, makes each PDF three ways and stores every
generated one. No figure is asserted (tests/bench/test_benchmarks.py says why)."""

import pytest

from tests.bench.test_benchmarks import benches  # noqa: F401 - the runner fixture

pytestmark = pytest.mark.bench


def test_the_document_generator_benchmark_runs(benches):  # noqa: F811
    benches.fresh("crm_bench_documents")
    try:
        output = benches.run("bench/documents_generate.py", BENCH_SCALE="0.006")
    finally:
        benches.drop("crm_bench_documents")
    assert "3 PDFs of a one-page contract" in output
    assert "generator / WeasyPrint directly:" in output
    assert "stored: 3 sealed PDFs linked to their partners" in output
