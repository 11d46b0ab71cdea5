"""Settings, read from the environment with embedded defaults.

Without any variable set the app runs on a SQLite file, queues tasks in message files for a worker
that ``manage.py serve`` starts, and keeps blobs on local disk, all under ``DATA_DIR``. Production
differs only by environment: ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY`` and the storage
variables. ``.env.example`` lists every variable.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from engage_site.env import env_bool, env_float, env_int, env_list, env_networks, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """The configured key, or one generated once and kept in DATA_DIR.

    Processes that sign continuation tokens for each other must share the key: set SECRET_KEY when
    web processes run on more than one machine.
    """
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    key = key_file.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"{key_file} is empty: delete it or set SECRET_KEY")
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (so absolute URLs say https) and
# appends the client's address to X-Forwarded-For (the login lockout counts failures per address).
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
# How many proxies in front of the app append to X-Forwarded-For; used only behind a TLS proxy.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1, minimum=1)
# Browsers then send the session and CSRF cookies over HTTPS only; set SECURE_COOKIES=false to
# serve staff pages over plain HTTP beyond localhost.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes talk plain HTTP to the app, past the proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# HSTS is sent on HTTPS responses only, so it matters only behind the TLS proxy.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if BEHIND_TLS_PROXY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is the domain owner's decision and hard to undo (hstspreload.org asks projects not to
# turn it on by default), so it is opt-in and the deploy check's reminder about it is silenced.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]

INSTALLED_APPS = [
    "engage_site.admin_site.EngageAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "interactions",
    "segments",
    "automations",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "interactions.views.tenancy.TenantTimezoneMiddleware",
    "engage_site.replicas.PrimaryAfterWriteMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login's response into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "engage_site.urls"
WSGI_APPLICATION = "engage_site.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "interactions.context_processors.tenancy",
                "interactions.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'engage.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE transactions take the write lock up front,
    # so concurrent writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 30, minimum=1),
    }
    # A file (not memory) so tests that run threads or processes see one database with WAL.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-engage.sqlite3")}

# A PostgreSQL streaming replica for staff pages that only read (engage_site/replicas.py): they
# read from it while it answers and is at most DATABASE_REPLICA_MAX_LAG_SECONDS behind, else from
# the primary; each process checks that at most every DATABASE_REPLICA_CHECK_SECONDS.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
DATABASE_REPLICA_MAX_LAG_SECONDS = env_float("DATABASE_REPLICA_MAX_LAG_SECONDS", 10.0, minimum=0.0)
DATABASE_REPLICA_CHECK_SECONDS = env_float("DATABASE_REPLICA_CHECK_SECONDS", 5.0, minimum=0.0)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    # A replica that doesn't answer must not hold a page for long: the primary serves instead.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 2}
    # Tests reach the replica through the test database's own name (it is a copy of the primary).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["engage_site.replicas.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker and tasks ----------------------------------------------------------------------
# With REDIS_URL, Redis is the cache and the Celery broker. Without it the cache is a directory and
# the broker is kombu's filesystem transport (message files), both under DATA_DIR, so the web
# processes and the companion processes that `manage.py serve` starts (a Celery worker and the
# periodic jobs) share them with no server to run. Tasks run in worker processes either way.
REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "engage_site.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            # Short timeouts: the rate limiter and the dispatch hint skip the cache for a while
            # instead of stalling requests on a dead Redis.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": 3600,
        # Above the 1 s BRPOP of the workers; without a socket timeout a publish on a connection
        # the broker silently dropped would wait forever. Hints use shorter ones
        # (engage_site/hints.py).
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }
    _BROKER_DIR = DATA_DIR / "broker"
    for _folder in ("queue", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "control_folder": str(_BROKER_DIR / "control"),
        # How often an idle worker looks for new message files.
        "polling_interval": 0.1,
    }
CELERY_RESULT_BACKEND = None
# Tests run tasks in-process unless they ask for a worker (tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Beat keeps the last run of each job here, not in whatever directory it was started from.
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Safety net: events are dispatched right after each commit; this catches any whose task was
    # lost (a web process killed between its commit and the enqueue).
    "interaction-events": {
        "task": "interactions.tasks.interaction_events_dispatch_task",
        "schedule": timedelta(seconds=env_int("EVENT_SWEEP_SECONDS", 5, minimum=1)),
    },
    "raw-copies-flush": {
        "task": "interactions.tasks.raw_copies_flush_task",
        "schedule": timedelta(seconds=env_int("RAW_COPY_FLUSH_SECONDS", 10, minimum=1)),
    },
    "blob-deletions": {
        "task": "interactions.tasks.blob_deletions_process_task",
        "schedule": timedelta(seconds=30),
    },
    "deleted-schemas-purge": {
        "task": "interactions.tasks.deleted_schemas_purge_task",
        "schedule": timedelta(minutes=1),
    },
    "retention": {
        "task": "interactions.tasks.retention_purge_task",
        "schedule": timedelta(hours=1),
    },
    # Segments whose refresh interval has passed are claimed and refreshed.
    "segments-refresh-due": {
        "task": "segments.tasks.segments_refresh_due_task",
        "schedule": timedelta(seconds=env_int("SEGMENT_REFRESH_SWEEP_SECONDS", 60, minimum=1)),
    },
    # Claimed automation runs not finished within their lease are handed to workers again.
    "automation-runs-relay": {
        "task": "automations.tasks.automation_runs_relay_task",
        "schedule": timedelta(seconds=env_int("AUTOMATION_RELAY_SECONDS", 5, minimum=1)),
    },
    "automation-runs-purge": {
        "task": "automations.tasks.automation_runs_purge_task",
        "schedule": timedelta(hours=1),
    },
}

# --- Blob storage ---------------------------------------------------------------------------------
BLOB_STORAGE = env_str("BLOB_STORAGE", "local")
if BLOB_STORAGE == "local":
    _raw_copies_storage = {
        "BACKEND": "engage_site.storage.DurableFileSystemStorage",
        "OPTIONS": {
            "location": env_str("BLOB_DIR", str(DATA_DIR / "blobs")),
            "allow_overwrite": True,
        },
    }
elif BLOB_STORAGE == "s3":
    from engage_site.storage import s3_storage

    _raw_copies_storage = s3_storage(
        bucket=env_str("S3_BUCKET"),
        endpoint_url=env_str("S3_ENDPOINT_URL") or None,
        region=env_str("S3_REGION") or None,
        access_key=env_str("S3_ACCESS_KEY_ID") or None,
        secret_key=env_str("S3_SECRET_ACCESS_KEY") or None,
        prefix=env_str("S3_PREFIX", "raw-copies"),
        connect_timeout=env_float("S3_CONNECT_TIMEOUT_SECONDS", 5.0, minimum=0.1),
        read_timeout=env_float("S3_READ_TIMEOUT_SECONDS", 30.0, minimum=0.1),
        max_attempts=env_int("S3_MAX_ATTEMPTS", 3, minimum=1),
    )
else:
    raise ImproperlyConfigured(f"BLOB_STORAGE must be 'local' or 's3', not {BLOB_STORAGE!r}")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "raw_copies": _raw_copies_storage,
}
# Serve static files from the app directories too, so the app runs without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- API ------------------------------------------------------------------------------------------
API_RATE_LIMIT_PER_SECOND = env_int("API_RATE_LIMIT_PER_SECOND", 200, minimum=1)
# How long a web process trusts an API key it has checked, without asking the database again: the
# delay before a key revoked (or a key or tenant edited) elsewhere stops working as it was in every
# process. 0 checks every request (interactions/selectors/tenants.py).
API_KEY_CACHE_SECONDS = env_float("API_KEY_CACHE_SECONDS", 5.0, minimum=0.0)
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
# POST interactions/batch: items per batch, its own body limit, and a per-key rate of items (every
# route's per-key request rate counts a batch as one request); 0 turns the item rate off.
API_BATCH_MAX_ITEMS = env_int("API_BATCH_MAX_ITEMS", 1000, minimum=1)
API_BATCH_MAX_BODY_BYTES = env_int("API_BATCH_MAX_BODY_BYTES", 4 * 1024 * 1024, minimum=1024)
# POST products/bulk: products per request and the route's own body limit.
API_PRODUCTS_BULK_MAX_ITEMS = env_int("API_PRODUCTS_BULK_MAX_ITEMS", 1000, minimum=1)
API_PRODUCTS_BULK_MAX_BODY_BYTES = env_int(
    "API_PRODUCTS_BULK_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024
)
API_ITEM_RATE_LIMIT_PER_SECOND = env_int("API_ITEM_RATE_LIMIT_PER_SECOND", 100_000, minimum=0)
SCHEMA_MAX_BYTES = env_int("SCHEMA_MAX_BYTES", 64 * 1024, minimum=1024)
SCHEMA_MAX_PROPERTIES = env_int("SCHEMA_MAX_PROPERTIES", 100, minimum=1)
TENANT_DEFAULT_MAX_SCHEMAS = env_int("TENANT_DEFAULT_MAX_SCHEMAS", 15, minimum=1)
TENANT_DEFAULT_MAX_SEGMENTABLE_PROPERTIES = env_int(
    "TENANT_DEFAULT_MAX_SEGMENTABLE_PROPERTIES", 6, minimum=0
)
REFUSED_RETENTION_DAYS = env_int("REFUSED_RETENTION_DAYS", 30, minimum=1)
IDEMPOTENCY_TTL_HOURS = env_int("IDEMPOTENCY_TTL_HOURS", 24, minimum=1)
# A request that claimed an idempotency key and has not finished after this long is taken as dead.
IDEMPOTENCY_LEASE_SECONDS = env_int("IDEMPOTENCY_LEASE_SECONDS", 60, minimum=1)
# Schemas with more interactions than this are purged by a background task after deletion.
SCHEMA_DELETE_INLINE_LIMIT = env_int("SCHEMA_DELETE_INLINE_LIMIT", 1000, minimum=0)
# A subscriber that raises on an interaction event gets it again after EVENT_RETRY_BASE_SECONDS,
# doubling each time (up to an hour); after EVENT_MAX_ATTEMPTS failures the event is parked for the
# tenant's admins to replay. Segments whose refresh fails are retried on the same back-off.
EVENT_MAX_ATTEMPTS = env_int("EVENT_MAX_ATTEMPTS", 5, minimum=1)
EVENT_RETRY_BASE_SECONDS = env_float("EVENT_RETRY_BASE_SECONDS", 30.0, minimum=0.1)

# Admin forms are bigger than API bodies; the API checks its own limit before reading the body.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(
    2_621_440, API_MAX_BODY_BYTES, API_BATCH_MAX_BODY_BYTES, API_PRODUCTS_BULK_MAX_BODY_BYTES
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["interactions.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["interactions.api.authentication.HasTenant"],
    "DEFAULT_THROTTLE_CLASSES": ["interactions.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["engage_site.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "engage_site.api.openapi.VersionedAutoSchema",
    "EXCEPTION_HANDLER": "engage_site.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Engage Interactions API",
    "DESCRIPTION": (
        "Interaction schemas, interactions and contacts, wire-compatible with the Engage API "
        "v2/v3. "
        "Every route is served under both /api/v2/ and /api/v3/. Routes tagged `extension` go "
        "beyond the original API. Every error has the body described by the `Error` component."
    ),
    "VERSION": "2",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
}

# --- Automations and email -----------------------------------------------------------------------
# Webhooks to private, loopback and link-local addresses are refused unless allowed here, wholesale
# or for the listed networks only (e.g. one internal receiver).
AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = env_bool("AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS", False)
AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS = env_networks("AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS")
AUTOMATIONS_WEBHOOK_TIMEOUT_SECONDS = env_float("AUTOMATIONS_WEBHOOK_TIMEOUT_SECONDS", 10.0)
# After a signing secret is rotated, deliveries carry the old secret's signature too for this long.
AUTOMATIONS_WEBHOOK_SECRET_GRACE_HOURS = env_float("AUTOMATIONS_WEBHOOK_SECRET_GRACE_HOURS", 24.0)
# Tries per action before the run ends failed.
AUTOMATIONS_MAX_ATTEMPTS = env_int("AUTOMATIONS_MAX_ATTEMPTS", 5, minimum=1)
# The first retry's delay; each later one doubles it (capped at an hour).
AUTOMATIONS_RETRY_BASE_SECONDS = env_float("AUTOMATIONS_RETRY_BASE_SECONDS", 30.0)
# How long a dispatched run may go unfinished before the relay hands it out again.
AUTOMATIONS_LEASE_SECONDS = env_int("AUTOMATIONS_LEASE_SECONDS", 120, minimum=1)
# How long attempt logs (and finished "every time" runs) are kept.
AUTOMATIONS_RUN_RETENTION_DAYS = env_int("AUTOMATIONS_RUN_RETENTION_DAYS", 90, minimum=1)
# Hard limits on tenants' Liquid email templates: source size (characters), loop iterations over
# a whole render, output (bytes, also the cap on assigned values) and block nesting depth.
AUTOMATIONS_EMAIL_TEMPLATE_MAX_CHARS = env_int(
    "AUTOMATIONS_EMAIL_TEMPLATE_MAX_CHARS", 20_000, minimum=100
)
AUTOMATIONS_EMAIL_TEMPLATE_LOOP_LIMIT = env_int(
    "AUTOMATIONS_EMAIL_TEMPLATE_LOOP_LIMIT", 10_000, minimum=1
)
AUTOMATIONS_EMAIL_TEMPLATE_OUTPUT_BYTES = env_int(
    "AUTOMATIONS_EMAIL_TEMPLATE_OUTPUT_BYTES", 256 * 1024, minimum=1024
)
AUTOMATIONS_EMAIL_TEMPLATE_DEPTH_LIMIT = env_int(
    "AUTOMATIONS_EMAIL_TEMPLATE_DEPTH_LIMIT", 30, minimum=2
)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost")
AUTOMATIONS_EMAIL_FROM = env_str("AUTOMATIONS_EMAIL_FROM", DEFAULT_FROM_EMAIL)

# --- Auth, i18n -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes refuses logins for a locked-out username or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/contacts/"
LOGOUT_REDIRECT_URL = "/login/"
# A username, and separately an address, is locked out after this many failed logins (on /login/
# and /admin/login/) until no attempt has been made for the cool-off. Attempts are kept in the
# database and shown to superusers in the admin.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "engage_site.login_lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "engage_site.login_lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging --------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_api_keys": {"()": "engage_site.logging.RedactApiKeys"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_api_keys"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One INFO line per task run drowns everything else when tasks run in-process.
        "celery.app.trace": {"level": "WARNING"},
    },
}
