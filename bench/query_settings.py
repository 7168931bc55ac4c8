"""The benchmarks' settings (``bench/web_settings.py``) with the query builder's engine page
(``bench/query_urls.py``). Used only by ``bench/queries.py``'s gunicorn and test client."""

from bench.web_settings import *  # noqa: F403

ROOT_URLCONF = "bench.query_urls"
