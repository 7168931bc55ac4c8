"""The production settings with two more pages for the benchmarks (``bench/web_urls.py``): the
floor under every signed-in page. Used only by the benchmarks' gunicorn and test client."""

from crm.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"
