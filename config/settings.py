"""Project settings, read from the environment (and `.env`) through python-decouple.

Every variable is documented in `.env.example`. Production is switched on by the environment
(DEBUG off, a real SECRET_KEY), not by a second settings file.
"""

import re
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

import dj_database_url
from decouple import Choices, Csv, UndefinedValueError, config
from django_guid.integrations import CeleryIntegration

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core ---------------------------------------------------------------------------------
DEBUG = config("DEBUG", default=False, cast=bool)

try:
    SECRET_KEY = config("SECRET_KEY")
except UndefinedValueError:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.") from None
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = config("ALLOWED_HOSTS", default="localhost,127.0.0.1,[::1],testserver" if DEBUG else "", cast=Csv())

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Third party
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "corsheaders",
    "django_guid",
    # Ours: the project's framework settings (no models), then the apps in dependency order
    # (an app imports only apps above it)
    "config.apps.ProjectConfig",
    "authentication",
    "chatbots",
    "flows",
    "components",
    "integrations",
    "executions",
]

MIDDLEWARE = [
    # First, so that every response (errors too) carries X-Request-ID (config/request_id.py).
    "config.request_id.IncomingRequestIdMiddleware",
    "django_guid.middleware.guid_middleware",
    "config.middleware.ApiErrorMiddleware",
    # After ApiErrorMiddleware: it sees a view's exception first (config/database.py).
    "config.database.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# https://github.com/jazzband/dj-database-url
DATABASES = {
    "default": config(
        "DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        cast=lambda url: dj_database_url.parse(url, conn_max_age=config("DB_CONN_MAX_AGE", default=60, cast=int)),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "config.db.sqlite3"
    # IMMEDIATE transactions take the write lock up front, so two concurrent chat replies
    # serialise instead of failing with "database is locked" half way through.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not the default shared in-memory database: threads in the concurrency tests
    # then wait for the write lock (busy timeout) instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding plus prepared statements: the statements a chat turn repeats are
    # parsed and planned once per connection, not on every reply. Django leaves preparing
    # off for transaction-pooling PgBouncer before 1.21; set DB_PREPARE_THRESHOLD= (empty)
    # behind such a pooler.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=config("DB_SERVER_SIDE_BINDING", default=True, cast=bool),
        prepare_threshold=config("DB_PREPARE_THRESHOLD", default="5", cast=lambda v: int(v) if v else None),
        # A server that does not answer (down host, network cut) fails the connection attempt
        # after this many seconds, and the request answers 503 instead of hanging (libpq waits
        # at least 2). Keepalives find a connection whose server vanished while it sat idle
        # between requests or waited on a query (about a minute, not the kernel's two hours).
        connect_timeout=config("DB_CONNECT_TIMEOUT", default=3, cast=int),
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
    )
# Before reusing a persistent connection in a new request, check that it still works: one the
# server's restart broke is replaced there, instead of failing that request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and throttle counters -----------------------------------------------------------
REDIS_URL = config("REDIS_URL", default="")
# Seconds to wait for Redis to connect or answer. When it does not, throttling lets requests
# through, the cache reads as empty (config/cache.py; a warning is logged once a minute) and
# /healthz says "degraded": Redis down never means 500s.
REDIS_SOCKET_TIMEOUT = config("REDIS_SOCKET_TIMEOUT", default=0.5, cast=float)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}}

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTH_USER_MODEL = "authentication.User"
AUTHENTICATION_BACKENDS = ["authentication.backends.UsernameOrEmailBackend"]

# --- I18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = config("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Requests whose body exceeds this get a 413 before anything reads the body.
MAX_REQUEST_BODY_BYTES = config("MAX_REQUEST_BODY_BYTES", default=5 * 1024 * 1024, cast=int)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Deeper JSON than this is refused with a 400 (it is never a legitimate graph or answer).
MAX_JSON_DEPTH = config("MAX_JSON_DEPTH", default=64, cast=int)

# --- Django REST framework ----------------------------------------------------------------
# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Before JWT: it takes only bearer tokens with its own prefix and leaves the rest to JWT.
        "authentication.api_tokens.auth.ApiTokenAuthentication",
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only; the views that take a file (avatar, chat upload) add multipart.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "config.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "auth": config("THROTTLE_RATE_AUTH", default="20/min"),
        "chat_start": config("THROTTLE_RATE_CHAT_START", default="30/min"),
        "chat_reply": config("THROTTLE_RATE_CHAT_REPLY", default="120/min"),
        # The public profile a widget loads on each page view of the sites embedding it.
        "chat_profile": config("THROTTLE_RATE_CHAT_PROFILE", default="120/min"),
        # Per account: owner actions that send requests out or run the draft.
        "test": config("THROTTLE_RATE_TEST", default="10/min"),
        "test_api": config("THROTTLE_RATE_TEST_API", default="10/min"),
        "test_webhook": config("THROTTLE_RATE_TEST_WEBHOOK", default="10/min"),
        "preview": config("THROTTLE_RATE_PREVIEW", default="30/min"),
        "change_password": config("THROTTLE_RATE_CHANGE_PASSWORD", default="5/min"),
    },
    # How many reverse proxies sit in front of the app: the client IP is taken that many
    # hops from the right of X-Forwarded-For, so a client cannot spoof it; 0 = REMOTE_ADDR.
    "NUM_PROXIES": config("NUM_PROXIES", default=0, cast=int),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# https://django-rest-framework-simplejwt.readthedocs.io/en/latest/settings.html
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=config("JWT_ACCESS_TOKEN_MINUTES", default=15, cast=int)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=config("JWT_REFRESH_TOKEN_DAYS", default=7, cast=int)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Access tokens carry a hash of the password hash: a password change revokes them too.
    "CHECK_REVOKE_TOKEN": True,
    "SIGNING_KEY": config("JWT_SIGNING_KEY", default=SECRET_KEY),
}

# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Chatbot Builder API",
    "DESCRIPTION": (
        "Backend of a visual chatbot builder: design bots as node graphs, publish them, "
        "chat through the public API, read results and analytics. The project's docs/ folder "
        "explains the graph format, the component types, the chat Turn, webhooks and errors."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.document_standard_errors",
        "config.schema.document_auth",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": False},
    "ENUM_NAME_OVERRIDES": {
        "ChatbotStatusEnum": "chatbots.models.Chatbot.Status",
        "SessionStatusEnum": "executions.models.ChatSession.Status",
        "FlowExecutionStatusEnum": "flows.models.FlowExecution.Status",
        "WebhookEventTypeEnum": "integrations.models.EVENT_CHOICES",
    },
}

# --- CORS ---------------------------------------------------------------------------------
# The builder's origins. The public chat routes are open to any origin (embedded widgets),
# narrowed per bot by its allowed embed origins.
CORS_ALLOWED_ORIGINS = config("CORS_ALLOWED_ORIGINS", default="", cast=Csv())
CORS_URLS_REGEX = r"^/api/.*$"
# Response headers a page on another origin may read: waits on 429/409, file names of
# downloads (CSV results, uploads), the profile's ETag.
CORS_EXPOSE_HEADERS = ["Retry-After", "Content-Disposition", "ETag", "X-Request-ID"]

# --- Security (switched on whenever DEBUG is off) ------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = config("SECURE_SSL_REDIRECT", default=not DEBUG, cast=bool)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
SECURE_HSTS_SECONDS = config("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000, cast=int)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = config("CSRF_TRUSTED_ORIGINS", default="", cast=Csv())
# /healthz answers load balancers over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Request ids and logging ------------------------------------------------------------------
# https://django-guid.readthedocs.io/en/latest/settings.html
# Each request's id: the load balancer's X-Request-ID when it is a sane token (see
# config/request_id.py), else a new UUID; returned in the X-Request-ID response header, on every
# log record as `request_id`, and passed on to the Celery tasks the request queues.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": False,  # config.request_id checks the incoming value instead
    "UUID_FORMAT": "string",
    "RETURN_HEADER": True,
    # It would replace the CORS middleware's list; CORS_EXPOSE_HEADERS names the header instead.
    "EXPOSE_HEADER": False,
    # Workers configure logging from LOGGING below (JSON lines in production too).
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}
# "json": one JSON object per line (production default: for a log collector); "plain": text
# lines (the DEBUG default). Either way every record carries the request id.
LOG_FORMAT = config("LOG_FORMAT", default="plain" if DEBUG else "json", cast=Choices(["json", "plain"]))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        # https://nhairs.github.io/python-json-logger/latest/ — fields passed as `extra` become keys.
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": config("LOG_LEVEL", default="INFO")},
    "loggers": {
        # It says at INFO, on every request, whether the header came in.
        "django_guid": {"level": "WARNING"},
    },
}

# --- Outgoing HTTP (http_request component, webhooks, API connections) ----------------------
# Targets (host or host:port) that the outbound guard lets through even though they resolve
# to private or loopback addresses: internal APIs an operator trusts, a local test server.
OUTBOUND_ALLOWED_HOSTS = config("OUTBOUND_ALLOWED_HOSTS", default="", cast=Csv())
# Largest response body read from an outbound request; more is a failure.
OUTBOUND_MAX_RESPONSE_BYTES = config("OUTBOUND_MAX_RESPONSE_BYTES", default=1024 * 1024, cast=int)
OUTBOUND_CONNECT_TIMEOUT = config("OUTBOUND_CONNECT_TIMEOUT", default=5.0, cast=float)
OUTBOUND_MAX_REDIRECTS = 3

# --- Chat runtime -----------------------------------------------------------------------------
# Non-blocking nodes one turn may execute before the session fails (a loop with no input).
RUNNER_MAX_STEPS = config("RUNNER_MAX_STEPS", default=200, cast=int)
# Published snapshots kept in each process's memory (they never change, so never go stale):
# at most this many, and at most SNAPSHOT_CACHE_MB of them counted as JSON (in memory they
# take a few times that). A snapshot larger than the whole budget is used without being kept.
SNAPSHOT_CACHE_SIZE = config("SNAPSHOT_CACHE_SIZE", default=256, cast=int)
SNAPSHOT_CACHE_MB = config("SNAPSHOT_CACHE_MB", default=64, cast=int)
# A chatbot's draft graphs together (all flows' nodes, edges and variables as JSON, MB), and
# how many flows it may have: a write past either is refused with 400.
CHATBOT_MAX_GRAPH_MB = config("CHATBOT_MAX_GRAPH_MB", default=10, cast=int)
CHATBOT_MAX_FLOWS = config("CHATBOT_MAX_FLOWS", default=100, cast=int)
# Runner log levels written to ExecutionLog (debug adds one row per node and turn).
EXECUTION_LOG_LEVELS = config("EXECUTION_LOG_LEVELS", default="info,warning,error", cast=Csv())
# Files visitors upload to file_upload inputs: largest size accepted by the chat API (MB).
CHAT_UPLOAD_MAX_MB = config("CHAT_UPLOAD_MAX_MB", default=10, cast=int)
# All the files of one conversation together (MB); a new upload past it is refused with 400.
CHAT_UPLOAD_SESSION_MAX_MB = config("CHAT_UPLOAD_SESSION_MAX_MB", default=50, cast=int)
# Seconds of outgoing HTTP (http_request nodes) one visitor request may spend in all, whatever
# the number of calls a loop reaches; a call that would start past it takes its failure branch.
CHAT_TURN_OUTBOUND_SECONDS = config("CHAT_TURN_OUTBOUND_SECONDS", default=30, cast=float)

# --- Secrets at rest (API connection credentials, webhook signing secrets) -------------------
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation: put a new key first,
# run `manage.py rotate_encryption_keys`, then drop the old one). Generate one with:
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
try:
    FIELD_ENCRYPTION_KEYS = config("FIELD_ENCRYPTION_KEYS", cast=Csv())
except UndefinedValueError:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off.") from None
    import base64
    import hashlib

    # Development only: derived from the development SECRET_KEY.
    FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]

# --- Outgoing webhooks and email ----------------------------------------------------------------
# Seconds to wait before each retry of a failed delivery; after the last, the delivery is dead.
WEBHOOK_RETRY_DELAYS = config("WEBHOOK_RETRY_DELAYS", default="60,300,1800,7200,43200", cast=Csv(int))
WEBHOOK_TIMEOUT = config("WEBHOOK_TIMEOUT", default=10, cast=float)
# How long a worker holds a claimed delivery before another may take it over.
WEBHOOK_LEASE_SECONDS = config("WEBHOOK_LEASE_SECONDS", default=120, cast=int)
# Who delivers: "celery" (workers + beat, needs CELERY_BROKER_URL), "thread" (a background
# thread in each web process: development), "worker" (`manage.py deliver_webhooks` runs apart).
CELERY_BROKER_URL = config("CELERY_BROKER_URL", default="")
WEBHOOK_DELIVERY = config(
    "WEBHOOK_DELIVERY", default="celery" if CELERY_BROKER_URL else ("thread" if DEBUG else "worker")
)
CELERY_TASK_ALWAYS_EAGER = config("CELERY_TASK_ALWAYS_EAGER", default=False, cast=bool)
CELERY_BEAT_SCHEDULE = {
    "deliver-webhooks": {"task": "integrations.tasks.deliver_due_webhooks", "schedule": 5.0},
}

EMAIL_BACKEND = config("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = config("EMAIL_HOST", default="localhost")
EMAIL_PORT = config("EMAIL_PORT", default=25, cast=int)
EMAIL_HOST_USER = config("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = config("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = config("EMAIL_USE_TLS", default=False, cast=bool)
EMAIL_TIMEOUT = config("EMAIL_TIMEOUT", default=10, cast=int)
DEFAULT_FROM_EMAIL = config("DEFAULT_FROM_EMAIL", default="Chatbot <noreply@localhost>")
# send_email nodes: at most this many emails per chat session.
SEND_EMAIL_MAX_PER_SESSION = config("SEND_EMAIL_MAX_PER_SESSION", default=3, cast=int)

# --- Personal API tokens ------------------------------------------------------------------
# How many tokens one user may hold, and the longest lifetime allowed (days;
# 0: tokens may also never expire).
API_TOKENS_MAX_PER_USER = config("API_TOKENS_MAX_PER_USER", default=50, cast=int)
API_TOKENS_MAX_DAYS = config("API_TOKENS_MAX_DAYS", default=0, cast=int)

# --- Sign-in with OAuth2 / OpenID Connect providers -----------------------------------------
# A provider is enabled when its client id is set (its secret is then required). Each one's
# callback to register is <OAUTH_CALLBACK_BASE_URL>/api/auth/oauth/<provider>/callback/.
# Builder pages the sign-in may return to (exact match): anything else is refused.
OAUTH_REDIRECT_URIS = config("OAUTH_REDIRECT_URIS", default="", cast=Csv())
if any(not uri.startswith(("https://", "http://")) for uri in OAUTH_REDIRECT_URIS):
    raise ImproperlyConfigured("OAUTH_REDIRECT_URIS: each must be an http:// or https:// URL.")
# This backend's public origin (https://api.example.com); empty: taken from each request.
OAUTH_CALLBACK_BASE_URL = config("OAUTH_CALLBACK_BASE_URL", default="")
OAUTH_HTTP_TIMEOUT = config("OAUTH_HTTP_TIMEOUT", default=10.0, cast=float)
# How long a started sign-in may take at the provider, and the one-time code's lifetime.
OAUTH_STATE_SECONDS = config("OAUTH_STATE_SECONDS", default=600, cast=int)
OAUTH_EXCHANGE_CODE_SECONDS = config("OAUTH_EXCHANGE_CODE_SECONDS", default=60, cast=int)


def _oauth_provider(prefix: str, **fields) -> dict:
    provider = {
        **fields,
        "client_id": config(f"{prefix}_CLIENT_ID"),
        "client_secret": config(f"{prefix}_CLIENT_SECRET"),
    }
    for key in ("issuer", "base_url", "api_url"):
        if key in provider and not DEBUG and not provider[key].startswith("https://"):
            raise ImproperlyConfigured(f"{prefix}: provider URLs must be https:// when DEBUG is off.")
    return provider


OAUTH_PROVIDERS = {}
if config("OAUTH_GITHUB_CLIENT_ID", default=""):
    # Other URLs serve GitHub Enterprise Server (https://ghe.example.com, https://ghe.example.com/api/v3).
    OAUTH_PROVIDERS["github"] = _oauth_provider(
        "OAUTH_GITHUB",
        type="github",
        name="GitHub",
        base_url=config("OAUTH_GITHUB_URL", default="https://github.com"),
        api_url=config("OAUTH_GITHUB_API_URL", default="https://api.github.com"),
        scopes="read:user user:email",
    )
if config("OAUTH_GOOGLE_CLIENT_ID", default=""):
    OAUTH_PROVIDERS["google"] = _oauth_provider(
        "OAUTH_GOOGLE",
        type="oidc",
        name="Google",
        issuer=config("OAUTH_GOOGLE_ISSUER", default="https://accounts.google.com"),
        scopes="openid email profile",
    )
# Any OpenID Connect provider (Keycloak, GitLab, Azure AD/Entra ID, Okta, Auth0...), found
# through its issuer's /.well-known/openid-configuration: OAUTH_OIDC_PROVIDERS=gitlab,corp and,
# for each, OAUTH_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, optional _NAME and _SCOPES.
for _slug in config("OAUTH_OIDC_PROVIDERS", default="", cast=Csv()):
    _prefix = f"OAUTH_{_slug.upper()}"
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", _slug) or _slug in ("github", "google"):
        raise ImproperlyConfigured(f"OAUTH_OIDC_PROVIDERS: {_slug!r} must be lowercase letters, digits or _.")
    OAUTH_PROVIDERS[_slug] = _oauth_provider(
        _prefix,
        type="oidc",
        name=config(f"{_prefix}_NAME", default=_slug.replace("_", " ").title()),
        issuer=config(f"{_prefix}_ISSUER"),
        scopes=config(f"{_prefix}_SCOPES", default="openid email profile"),
    )

# --- Chatbot import and export ----------------------------------------------------------------
# Largest file `POST /api/chatbots/import/` reads (bytes; a JSON body is also bounded by
# MAX_REQUEST_BODY_BYTES), and the most nodes one import may create across all its flows
# (a Typebot link copies the groups it calls into a flow of their own).
CHATBOT_IMPORT_MAX_BYTES = config("CHATBOT_IMPORT_MAX_BYTES", default=4 * 1024 * 1024, cast=int)
CHATBOT_IMPORT_MAX_NODES = config("CHATBOT_IMPORT_MAX_NODES", default=20_000, cast=int)
