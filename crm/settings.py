"""The one settings module, driven by environment variables (django-environ).

Every value comes from the environment or from a ``.env`` file next to ``manage.py``.
A bad or missing value stops the start with ``ImproperlyConfigured`` naming the variable;
``manage.py`` turns that into one line. ``*_FILE`` variants are read for secrets
(``SECRET_KEY_FILE=/run/secrets/key``).
"""

import contextlib
import os
import re
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Strict boolean: ``DEBUG=maybe`` is an error, not a silent False."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_secret(name: str, default: str | None = None) -> str:
    """``NAME`` or the contents of the file named by ``NAME_FILE``."""
    file_name = env.str(f"{name}_FILE", default="")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}."
            ) from None
    value = env.str(name, default=default)
    if value is None:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


DEBUG = env_bool("DEBUG", False)
HTTPS = env_bool("HTTPS", False)

if DEBUG:
    SECRET_KEY = env_secret(
        "SECRET_KEY", default="insecure-development-key-do-not-use-in-production"
    )
else:
    SECRET_KEY = env_secret("SECRET_KEY")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
        raise ImproperlyConfigured(
            "SECRET_KEY is too short or a development key; use at least 50 random characters."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "crm.devserver",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "axes",
    "csp",
    "guardian",
    "mptt",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "crm",
    "crm.querybuilder",
    "partners",
    "activities",
    "marketing",
    "sales",
    "documents",
    "workflow",
    "receivables",
]

MIDDLEWARE = [
    # First: empties the request when Django has finished with it (crm/garbage.py).
    "crm.garbage.ReleaseRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.access.AccessProfileMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Once the user and the messages are there: a user with overdue meetings is sent to the
    # closing page from every other page.
    "activities.middleware.ForcedClosureMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "crm.csp.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes last: it must see the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

# templates.W003: the i18n template library is ours on purpose (TEMPLATES below);
# tests/crm/test_i18n_tags.py runs the check itself and fails on any other duplicate name.
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"
ASGI_APPLICATION = "crm.asgi.application"

TEMPLATES = [
    {
        # Django's, whose templates free their context when rendered (crm/garbage.py)
        "BACKEND": "crm.garbage.Templates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.shell",
            ],
            # Django's ``date`` filter and ``url`` tag replaced by cheaper ones that give the
            # same text (crm/templatetags/crm_builtins.py).
            "builtins": ["crm.templatetags.crm_builtins"],
            # ``{% load i18n %}``: Django's library whose constant ``translate`` tags keep
            # their text per language (crm/templatetags/crm_i18n.py). Django warns that two
            # modules are named i18n (templates.W003, silenced below); a test checks that
            # no other name is taken twice.
            "libraries": {"i18n": "crm.templatetags.crm_i18n"},
        },
    },
]

# --- Database and Redis -------------------------------------------------------------------

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm"
try:
    DATABASES = {"default": env.db_url("DATABASE_URL", default=DEFAULT_DATABASE_URL)}
except (ImproperlyConfigured, ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL; only PostgreSQL works.")
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault(
    "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5)
)
# Parallel query helps reports on idle machines but doubles the rows a web page scans on a busy
# small server (measured by bench/partners.py): off by default, per connection.
# JIT compilation off: it cost 60 ms of a 0.85 s query builder statement on 1M partners (its
# compile time exceeds its gain on interactive statements); DATABASE_JIT=true turns it on.
# pgtrigger.ignore defined (empty) for every connection: django-pgtrigger's triggers read it in
# an EXCEPTION block, and an undefined setting aborts a subtransaction per written row, which
# made bulk writes to history-tracked tables slow down quadratically (bench/partner_import.py).
DATABASES["default"]["OPTIONS"].setdefault(
    "options",
    f"-c max_parallel_workers_per_gather={env_int('DATABASE_PARALLEL_WORKERS', 0)}"
    f" -c jit={'on' if env_bool('DATABASE_JIT', False) else 'off'}"
    " -c pgtrigger.ignore={}",
)
# Constant statements of busy pages prepared once per connection (crm/prepared.py); off behind a
# transaction-pooling PgBouncer. They are planned once, for any values (a generic plan): the
# only statements with server-side parameters are those, whose best plan does not depend on the
# values; PostgreSQL's own choice kept planning some of them on every run.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASE_PREPARED_STATEMENTS:
    DATABASES["default"]["OPTIONS"]["options"] += " -c plan_cache_mode=force_generic_plan"
# Persistent connections (checked before reuse) halve a page's time against opening one each.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Tests get test_<database>: checkouts run side by side with their own DATABASE_URL.
DATABASES["default"]["TEST"] = {
    "NAME": env.str("TEST_DATABASE_NAME", default=f"test_{DATABASES['default']['NAME']}")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The web workers' garbage collector (crm/wsgi.py): a collection every this many new objects,
# after what the start-up made is frozen; 0 keeps Python's defaults.
WEB_GC_THRESHOLD = env_int("WEB_GC_THRESHOLD", 50_000)
if WEB_GC_THRESHOLD < 0:
    raise ImproperlyConfigured(f"WEB_GC_THRESHOLD={WEB_GC_THRESHOLD} must be 0 or more.")

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis:// or rediss://.")

CACHES = {
    "default": {
        "BACKEND": "crm.cache.RedisCache",
        "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": "crm",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# Change history (django-pghistory) records who and where for the requests that write; a GET
# writes nothing tracked, and skipping it spares every page the context bookkeeping.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --- Celery -------------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Budapest"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Worker processes: two per core by default, because the outbox mostly waits on mail servers
# and gateways (the benchmark bench/outbox.py measures it).
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 2 * (os.cpu_count() or 1))
# Task modules beside those autodiscovery finds (each app's tasks.py): the query builder's export.
CELERY_IMPORTS = ["crm.querybuilder.export_tasks"]
HEARTBEAT_INTERVAL = env_int("HEARTBEAT_INTERVAL", 30)
# /healthz reports the worker as down when its last heartbeat is older than this.
HEARTBEAT_MAX_AGE = env_int("HEARTBEAT_MAX_AGE", 120)
# The beat schedule, in code. Every entry expires, so a backlog never runs stale copies.
# The hour (Budapest time) the daily digest of document subscriptions is sent.
DOCUMENTS_DIGEST_HOUR = env_int("DOCUMENTS_DIGEST_HOUR", 7)
if not 0 <= DOCUMENTS_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("DOCUMENTS_DIGEST_HOUR must be an hour, 0 to 23.")

CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "crm.tasks.heartbeat",
        "schedule": float(HEARTBEAT_INTERVAL),
        "options": {"expires": max(HEARTBEAT_INTERVAL - 1, 1)},
    },
    # The outbox: due messages (retries, rate-limited ones), stuck ones, bounces.
    "messaging-send-due": {
        "task": "crm.messaging.send_due",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    "messaging-reconcile": {
        "task": "crm.messaging.reconcile",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "messaging-fetch-bounces": {
        "task": "crm.messaging.fetch_bounces",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Documents in the trash for longer than DOCUMENTS_TRASH_DAYS, with their files.
    "documents-empty-trash": {
        "task": "documents.empty_trash",
        "schedule": 6 * 3600.0,
        "options": {"expires": 3600},
    },
    # Stored files that no version names (an upload whose transaction rolled back later).
    "documents-sweep-orphan-files": {
        "task": "documents.sweep_orphan_files",
        "schedule": 24 * 3600.0,
        "options": {"expires": 3600},
    },
    # Document subscriptions: immediate notices left behind (their task was lost), and the
    # daily digest of the others.
    "documents-subscription-notices": {
        "task": "documents.send_subscription_notices",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "documents-subscription-digest": {
        "task": "documents.send_subscription_digest",
        "schedule": crontab(hour=DOCUMENTS_DIGEST_HOUR, minute=0),
        "options": {"expires": 6 * 3600},
    },
    # Query builder exports whose worker died, or that no worker took.
    "querybuilder-sweep-exports": {
        "task": "querybuilder.sweep_exports",
        "schedule": 600.0,
        "options": {"expires": 590},
    },
    # Imports whose worker died, or that no worker took.
    "partners-sweep-imports": {
        "task": "partners.sweep_imports",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # The search index's change log: each owner's latest entry is all the workers compare.
    "partners-prune-search-changes": {
        "task": "partners.prune_search_changes",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    # Partner statuses whose last order, contract or turnover has just left the period.
    "partners-refresh-statuses": {
        "task": "partners.refresh_statuses",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 6 * 3600},
    },
    # The e-mails of activity reminders that fell due.
    "activities-send-reminders": {
        "task": "activities.send_reminders",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Partners left without a future event too long go back to the pool or the supervisor.
    "activities-release-idle-partners": {
        "task": "activities.release_idle_partners",
        "schedule": crontab(hour=3, minute=15),
        "options": {"expires": 6 * 3600},
    },
    # The query builder's scheduled reports that fell due (XLSX by e-mail, each recipient's rows).
    "querybuilder-send-scheduled-reports": {
        "task": "querybuilder.send_scheduled_reports",
        "schedule": crontab(hour=6, minute=0),
        "options": {"expires": 6 * 3600},
    },
}

# --- Partners -------------------------------------------------------------------------------

# A partner is active in an own company with an order, contract or turnover this many months back.
PARTNERS_ACTIVE_MONTHS = env_int("PARTNERS_ACTIVE_MONTHS", 12)
# The partner and contact lists show how many rows match (up to 1,000, then "more than") when
# PostgreSQL counts them within this many milliseconds; a slower count is cancelled and the
# list shows none (0: never count). partners/views.py, README "Partner and contact lists".
LIST_COUNT_MILLISECONDS = env_int("LIST_COUNT_MILLISECONDS", 5)
# The query builder: how long its capped count may take before the page shows none, and how
# many groups a grouped query shows at most (on screen, in print and in its chart).
QUERY_COUNT_MILLISECONDS = env_int("QUERY_COUNT_MILLISECONDS", 300)
QUERY_MAX_GROUPS = env_int("QUERY_MAX_GROUPS", 1000)
# A screen's statements stop after this long with a message to narrow the query.
QUERY_SCREEN_SECONDS = env_int("QUERY_SCREEN_SECONDS", 20)
# A query's export of at most this many rows (capped count) is written in the request; a larger
# one runs in Celery with a progress bar and a download link (crm/querybuilder/export_views.py).
QUERY_EXPORT_INLINE_ROWS = env_int("QUERY_EXPORT_INLINE_ROWS", 5000)
# The most rows an export of the partner or contact list holds (partners/export_views.py);
# filters matching more are refused with a message asking to narrow them.
LIST_EXPORT_MAX_ROWS = env_int("LIST_EXPORT_MAX_ROWS", 100_000)
# The largest CSV or XLSX file the partner and contact import accepts, in bytes.
PARTNERS_IMPORT_MAX_BYTES = env_int("PARTNERS_IMPORT_MAX_BYTES", 100 * 1024 * 1024)
# The most rows a product import takes (checked whole, written in one transaction).
SALES_IMPORT_MAX_ROWS = env_int("SALES_IMPORT_MAX_ROWS", 20_000)
# Database connections that write an import's chunks in parallel (its history triggers cost
# server CPU per row: a second server process nearly doubles the rows per second).
PARTNERS_IMPORT_WRITERS = env_int("PARTNERS_IMPORT_WRITERS", 2)
# An import silent this long has lost its worker; one queued this long was never taken.
PARTNERS_IMPORT_STALE_MINUTES = env_int("PARTNERS_IMPORT_STALE_MINUTES", 15)
PARTNERS_IMPORT_QUEUED_MINUTES = env_int("PARTNERS_IMPORT_QUEUED_MINUTES", 60)

# --- Activities -----------------------------------------------------------------------------

# A user with the function "is stopped until overdue meetings are closed" can do nothing else
# once a meeting of theirs ended more than this many Hungarian working days ago unclosed.
ACTIVITIES_CLOSE_MEETINGS_WITHIN = env_int("ACTIVITIES_CLOSE_MEETINGS_WITHIN", 2)
# A partner whose owner must keep a future event, with no next event planned within a calendar
# month of losing its last one, is taken from the owner: to the owner's supervisor
# ("supervisor") or to nobody, the pool ("pool"). (The month is the customer's rule, not a
# setting; ACTIVITIES_IDLE_PARTNER_DAYS is gone.)
ACTIVITIES_IDLE_PARTNER_TO = env.str("ACTIVITIES_IDLE_PARTNER_TO", default="supervisor")
if ACTIVITIES_IDLE_PARTNER_TO not in ("supervisor", "pool"):
    raise ImproperlyConfigured("ACTIVITIES_IDLE_PARTNER_TO must be 'supervisor' or 'pool'.")

# Google Calendar sync (off without a client id and secret from the Google Cloud console). The
# URIs are Google's; tests and the demo point them at a local server speaking the same HTTP.
GOOGLE_OAUTH_CLIENT_ID = env.str("GOOGLE_OAUTH_CLIENT_ID", default="")
GOOGLE_OAUTH_CLIENT_SECRET = env_secret("GOOGLE_OAUTH_CLIENT_SECRET", default="")
GOOGLE_OAUTH_AUTH_URI = env.str(
    "GOOGLE_OAUTH_AUTH_URI", default="https://accounts.google.com/o/oauth2/auth"
)
GOOGLE_OAUTH_TOKEN_URI = env.str(
    "GOOGLE_OAUTH_TOKEN_URI", default="https://oauth2.googleapis.com/token"
)
# The Calendar API's base URL with its path (Google's: https://www.googleapis.com/calendar/v3/).
GOOGLE_CALENDAR_API_ENDPOINT = env.str("GOOGLE_CALENDAR_API_ENDPOINT", default="")

# --- Authentication -----------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend whose per-request user lookup reads the shared cache (crm.access)
    "crm.access.CachingModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# django-guardian: no anonymous user row; object permissions are for staff only.
ANONYMOUS_USER_NAME = None
GUARDIAN_RENDER_403 = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTH_USER_MODEL = "crm.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For entries to skip.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
AXES_VERBOSE = False

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = "hu"
LANGUAGES = [("hu", _("Hungarian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Budapest"
FORMAT_MODULE_PATH = ["crm.formats"]
LANGUAGE_COOKIE_NAME = "crm_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

# --- Static and media ---------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
with contextlib.suppress(OSError):  # whitenoise warns about a missing one
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development the files are served straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))

# Where uploaded files (documents) live: the file system under MEDIA_ROOT, or an S3-compatible
# store (django-storages) that several web servers share. Empty keys: boto3's own chain.
FILE_STORAGE = env.str("FILE_STORAGE", default="filesystem").strip().lower()
if FILE_STORAGE == "s3":
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config as BotoConfig

    _s3_timeout = env_int("S3_TIMEOUT", 10)
    # Parts of 8 MB, at most 4 of them in memory: a 200 MB upload costs ~32 MB, not 80 MB.
    _s3_transfer = TransferConfig(multipart_chunksize=8 * 1024 * 1024, max_concurrency=2)
    _s3_transfer.max_in_memory_upload_chunks = 4
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env_secret("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default="").strip("/"),
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": True,  # names are random (documents.models.version_path)
            "transfer_config": _s3_transfer,
            # an outage is told to the user in seconds, not after boto3's minute of retries
            "client_config": BotoConfig(
                connect_timeout=_s3_timeout,
                read_timeout=_s3_timeout * 3,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
elif FILE_STORAGE != "filesystem":
    raise ImproperlyConfigured(f"FILE_STORAGE={FILE_STORAGE!r}: use filesystem or s3.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Documents ----------------------------------------------------------------------------

# One uploaded file at most (200 MB); uploads are streamed to a temporary file, then storage.
DOCUMENTS_MAX_UPLOAD_BYTES = env_int("DOCUMENTS_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# The ZIP bomb guard of DOCX, XLSX, ODT and ODS: read from the zip's directory.
DOCUMENTS_ZIP_MAX_UNCOMPRESSED = env_int("DOCUMENTS_ZIP_MAX_UNCOMPRESSED", 1024 * 1024 * 1024)
DOCUMENTS_ZIP_MAX_RATIO = env_int("DOCUMENTS_ZIP_MAX_RATIO", 200)
DOCUMENTS_ZIP_MAX_ENTRIES = env_int("DOCUMENTS_ZIP_MAX_ENTRIES", 10_000)
# Deleted documents stay in the trash this many days, then go with their files.
DOCUMENTS_TRASH_DAYS = env_int("DOCUMENTS_TRASH_DAYS", 30)
# How much one sales collateral send may attach (within MESSAGING_MAX_BYTES).
DOCUMENTS_COLLATERAL_MAX_BYTES = env_int("DOCUMENTS_COLLATERAL_MAX_BYTES", 8 * 1024 * 1024)
# The optional virus scan of uploads by ClamAV's daemon (documents/virus.py): over TCP
# (CLAMD_HOST, CLAMD_PORT) or its Unix socket (CLAMD_SOCKET); off when neither is set. When
# clamd is down or cannot scan a file: refuse the upload (default) or accept it.
CLAMD_HOST = env.str("CLAMD_HOST", default="")
CLAMD_PORT = env_int("CLAMD_PORT", 3310)
CLAMD_SOCKET = env.str("CLAMD_SOCKET", default="")
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 60)
CLAMD_WHEN_DOWN = env.str("CLAMD_WHEN_DOWN", default="refuse").strip().lower()
if CLAMD_WHEN_DOWN not in ("refuse", "accept"):
    raise ImproperlyConfigured(f"CLAMD_WHEN_DOWN={CLAMD_WHEN_DOWN!r}: use refuse or accept.")
# The full-text search reads at most this many characters of a file's text (a 300-page
# contract is about 600,000); PostgreSQL's text search vectors cap what one row may hold.
DOCUMENTS_TEXT_MAX_CHARS = env_int("DOCUMENTS_TEXT_MAX_CHARS", 500_000)

# --- E-mail -------------------------------------------------------------------------------

# Development prints mails on the console; production must name its SMTP server.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CRM <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)

# --- Messaging outbox (crm/messaging) ------------------------------------------------------

# The address people reach the CRM at; links in mails (open pixel, unsubscribe) start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Bounces come back to bounce+<token>@BOUNCE_DOMAIN (VERP), so each matches its message.
MESSAGING_BOUNCE_DOMAIN = env.str("MESSAGING_BOUNCE_DOMAIN", default="")
MESSAGING_BOUNCE_IMAP_URL = env.str("MESSAGING_BOUNCE_IMAP_URL", default="")
MESSAGING_MAX_BYTES = env_int("MESSAGING_MAX_BYTES", 10 * 1024 * 1024)
MESSAGING_MAX_ATTEMPTS = env_int("MESSAGING_MAX_ATTEMPTS", 8)
MESSAGING_RETRY_BASE_SECONDS = env_int("MESSAGING_RETRY_BASE_SECONDS", 60)
MESSAGING_STUCK_AFTER_SECONDS = env_int("MESSAGING_STUCK_AFTER_SECONDS", 600)
MESSAGING_BATCH_SIZE = env_int("MESSAGING_BATCH_SIZE", 200)
# Per-minute caps per channel, so a newsletter does not trip the providers' limits (0 = none).
MESSAGING_RATE_PER_MINUTE = {
    "email": env_int("MESSAGING_EMAIL_PER_MINUTE", 0),
    "sms": env_int("MESSAGING_SMS_PER_MINUTE", 60),
    "fax": env_int("MESSAGING_FAX_PER_MINUTE", 10),
}
MESSAGING_SMS_GATEWAY_URL = env.str("MESSAGING_SMS_GATEWAY_URL", default="")
MESSAGING_SMS_GATEWAY_TOKEN = env_secret("MESSAGING_SMS_GATEWAY_TOKEN", default="")
MESSAGING_SMS_SENDER = env.str("MESSAGING_SMS_SENDER", default="CRM")
MESSAGING_SMS_CALLBACK_SECRET = env_secret("MESSAGING_SMS_CALLBACK_SECRET", default=SECRET_KEY)
MESSAGING_FAX_ADDRESS = env.str("MESSAGING_FAX_ADDRESS", default="{number}@fax.example")

# --- Company information (crm/integrations/companyinfo.py) -------------------------------

# The company-information web service looked up by tax number; empty = not used.
COMPANY_INFO_URL = env.str("COMPANY_INFO_URL", default="").rstrip("/")
COMPANY_INFO_KEY = env_secret("COMPANY_INFO_KEY", default="")
COMPANY_INFO_TIMEOUT = env_int("COMPANY_INFO_TIMEOUT", 5)
if COMPANY_INFO_TIMEOUT < 1:
    raise ImproperlyConfigured("COMPANY_INFO_TIMEOUT must be at least 1 second.")

# --- Tax authority (crm/integrations/nav.py) ---------------------------------------------

# NAV's Online Számla interface v3.0 (e.g. https://api.onlineszamla.nav.gov.hu/invoiceService/v3),
# asked about tax numbers on the partner form and in the import; empty = only the checksum.
NAV_TAXPAYER_URL = env.str("NAV_TAXPAYER_URL", default="").rstrip("/")
NAV_LOGIN = env.str("NAV_LOGIN", default="")
NAV_PASSWORD = env_secret("NAV_PASSWORD", default="")
NAV_SIGNATURE_KEY = env_secret("NAV_SIGNATURE_KEY", default="")
NAV_TAX_NUMBER = env.str("NAV_TAX_NUMBER", default="")  # our own; its first 8 digits are sent
NAV_TIMEOUT = env_int("NAV_TIMEOUT", 5)
if NAV_TIMEOUT < 1:
    raise ImproperlyConfigured("NAV_TIMEOUT must be at least 1 second.")
if NAV_TAXPAYER_URL and not (NAV_LOGIN and NAV_PASSWORD and NAV_SIGNATURE_KEY):
    raise ImproperlyConfigured(
        "NAV_TAXPAYER_URL is set: set NAV_LOGIN, NAV_PASSWORD and NAV_SIGNATURE_KEY too."
    )
if NAV_TAXPAYER_URL and not re.fullmatch(r"\d{8}(-?\d-?\d{2})?", NAV_TAX_NUMBER):
    raise ImproperlyConfigured("NAV_TAX_NUMBER must be our own tax number (12345678-1-23).")

# --- Security -----------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
# In the database, read through Redis: no query per page for the session (crm/sessions.py).
SESSION_ENGINE = "crm.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
