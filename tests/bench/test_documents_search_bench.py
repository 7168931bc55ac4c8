"""The document search benchmark still runs (``bench/documents_search.py`` at a tiny scale:
100 documents, 3 files of each kind): its data build, the search page beside its SQL, and
the extraction beside the readers. No figure is asserted (see test_benchmarks.py)."""

import pytest

from tests.bench.test_benchmarks import benches  # noqa: F401 - the fixture

# The build, a web server, pgbench and WeasyPrint's files take longer than a test's 300 s.
pytestmark = [pytest.mark.bench, pytest.mark.timeout(600)]

DATABASE = "crm_bench_documents_s0_0005"  # bench.documents_search.database_for(0.0005)


def test_the_document_search_benchmark_measures_search_and_extraction(benches):  # noqa: F811
    benches.fresh(DATABASE)
    try:
        output = benches.run(
            "bench/documents_search.py",
            BENCH_SCALE="0.0005",
            BENCH_SECONDS="1",
            BENCH_CLIENTS="1",
            BENCH_WEB_WORKERS="1",
            BENCH_FILES="3",
            timeout=500,
        )
    finally:
        benches.drop(DATABASE)
    assert "building 100 documents" in output
    assert "(a) Search page" in output and "document search" in output
    assert "≤ 2 × SQL" in output
    assert "(b) Text extraction: 3 one-page PDFs and 3 DOCX files" in output
    assert "3/3" in output
