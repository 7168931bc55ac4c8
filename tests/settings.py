"""Test settings: the real settings plus the few overrides tests need, in one place.

Tests run against the real PostgreSQL (database ``test_`` and the configured database's name,
``test_crm`` by default, created by pytest-django) and the real Redis, on a database number of
its own (15 unless ``TEST_REDIS_URL`` says otherwise; one per pytest-xdist worker).
"""

import os
import re

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 50)
_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ["REDIS_URL"] = os.environ.get(
    "TEST_REDIS_URL", re.sub(r"(/\d+)?$", "/15", _redis.rstrip("/"), count=1)
)
# Under pytest-xdist each worker (gw0, gw1, …) empties its own Redis database: gw0 keeps the
# test database, gw1 takes the sixth below (15 → 9: the benchmarks' tests use 12 to 14 for
# their Celery workers), gw2 the next below, and so on.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and _worker[2:].isdigit() and int(_worker[2:]):
    _base, _number = re.match(r"(.*/)(\d+)$", os.environ["REDIS_URL"]).groups()
    os.environ["REDIS_URL"] = f"{_base}{(int(_number) - 5 - int(_worker[2:])) % 16}"
os.environ.pop("CACHE_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)

from crm.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
CACHES["default"]["KEY_PREFIX"] = "crm-test"  # noqa: F405

# A sample scoped model with its views, used by the access tests (tests/scoping_app).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.scoping_app"]  # noqa: F405
ROOT_URLCONF = "tests.scoping_app.urls"

# NAV's taxpayer query is asked only where a test points it at its fake (tests/nav_helpers.py).
NAV_TAXPAYER_URL = ""
