"""TaskFlow's one settings module: every knob is read from the environment in the
first block, Django/DRF/CORS configuration is built from those names, and the
production refusal sits at the bottom. README.md lists every variable."""
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url

from taskflow import devdb
from taskflow.env import env_bool, env_float, env_int, env_list, env_str
from tasks.rates import is_valid_rate

BASE_DIR = Path(__file__).resolve().parent.parent

# Used only outside production, so `bin/dev` and the tests run with no setup at all.
DEV_AUTH_SECRET = "dev-only-better-auth-secret-change-me-0123456789"
DEV_SECRET_KEY = "django-insecure-dev-only-key"


# --- The environment, in one place -------------------------------------------------
ENVIRONMENTS = ("development", "production")
ENVIRONMENT = env_str("ENVIRONMENT", "development")
IS_PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("DEBUG", not IS_PRODUCTION)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "" if IS_PRODUCTION else DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if IS_PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
# Outside production, unset means the embedded PostgreSQL that bin/dev and bin/test start.
DATABASE_URL = env_str("DATABASE_URL", "" if IS_PRODUCTION else devdb.url())
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 5000)
# The client-side bound of one database call (tasks.database.deadlines): a server that stops
# answering is given the statement timeout plus a second of grace, then cut off.
DB_CLIENT_TIMEOUT_SECONDS = env_float("DB_CLIENT_TIMEOUT_SECONDS", DB_STATEMENT_TIMEOUT_MS / 1000 + 1 if DB_STATEMENT_TIMEOUT_MS > 0 else 0.0)
# "transaction" when DATABASE_URL goes through a transaction pooler (PgBouncer, Neon's
# "-pooler" host): no session state, no prepared statements, no server-side cursors.
DB_POOLER = env_str("DB_POOLER").lower()
# Database connections per web worker process (the size of its pool, Django's native
# one), and so requests inside Django at once per worker: taskflow.server.admission lets
# that many in and queues the rest. gevent serves every client connection in a greenlet
# of its own; without the gate 500 clients would queue 500 requests inside Django.
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 4)
# A pooled connection is replaced (in the pool's background, never on a request's path)
# after this long, so a connection does not live forever on one server or pooler backend.
DB_POOL_MAX_LIFETIME_SECONDS = env_float("DB_POOL_MAX_LIFETIME_SECONDS", 3600.0)
# The server ends a session that sits this long inside a transaction (a client that
# died mid-transaction holding row locks).
DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = env_int("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 10_000)
# A request waits this long for its place before its 503 (none during a known outage).
ADMISSION_WAIT_SECONDS = env_float("ADMISSION_WAIT_SECONDS", 10.0)
# A trailing slash is a common slip ("http://localhost:3000/"); an origin never has one.
CORS_ALLOWED_ORIGINS = [o.rstrip("/") for o in env_list("CORS_ORIGINS", "http://localhost:3000")]
MAX_BODY_BYTES = env_int("MAX_BODY_BYTES", 1024 * 1024)
RETRY_AFTER_SECONDS = env_int("RETRY_AFTER_SECONDS", 5)
# Per-user limit like "600/minute"; off when empty. Counts live in Redis (REDIS_URL) so
# every worker and instance agrees; without Redis they stay in one process (dev only).
RATE_LIMIT = env_str("RATE_LIMIT")
# The list's shape: "array" (the seed contract) or "object" ({"tasks", "count"}: phase V).
TASK_LIST_FORMAT = env_str("TASK_LIST_FORMAT", "array")
# Rendered whole lists kept per web process under their ETag (tasks.list_bodies): at most
# this many MiB, least recently used out first; 0 keeps none.
LIST_CACHE_MB = env_int("LIST_CACHE_MB", 64)
REDIS_URL = env_str("REDIS_URL")
# One Redis call may take this long; after a failure the limiter leaves Redis alone
# (allowing requests) for REDIS_RETRY_SECONDS instead of paying the timeout per request.
REDIS_TIMEOUT_SECONDS = env_float("REDIS_TIMEOUT_SECONDS", 0.25)
REDIS_RETRY_SECONDS = env_float("REDIS_RETRY_SECONDS", 10.0)
# gunicorn (taskflow.server.workers): a client that sends nothing for this long, in the middle
# of a request head or body, is answered 408 or disconnected.
CLIENT_TIMEOUT_SECONDS = env_float("CLIENT_TIMEOUT_SECONDS", 5.0)
# Deleted tasks are remembered this long for GET /changes; older sync tokens get 410.
TOMBSTONE_DAYS = env_int("TOMBSTONE_DAYS", 30)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if IS_PRODUCTION else 0)
# Both commit the whole domain (every subdomain, browsers' preload lists for months):
# the domain's owner asks for them, a backend never does on its own.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

BETTER_AUTH_SECRET = env_str("BETTER_AUTH_SECRET", "" if IS_PRODUCTION else DEV_AUTH_SECRET)
BETTER_AUTH_URL = env_str("BETTER_AUTH_URL")
# Explicit values only; they apply to HS256 tokens too (see JWKS_ISSUER below).
BETTER_AUTH_ISSUER = env_str("BETTER_AUTH_ISSUER")
BETTER_AUTH_AUDIENCE = env_str("BETTER_AUTH_AUDIENCE")
JWT_LEEWAY_SECONDS = env_int("JWT_LEEWAY_SECONDS", 10)
# Admin login throttling (django-axes): this many failures lock the account, and the
# address, for the cool-off; README "For support staff" says how to unlock.
ADMIN_LOGIN_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
ADMIN_LOGIN_COOLOFF_MINUTES = env_int("ADMIN_LOGIN_COOLOFF_MINUTES", 15)


# --- Accounts (accounts/: the backend signs people up and in; README "Accounts") ---------
# Where reset links and OAuth redirects send the browser: the frontend's origin.
FRONTEND_URL = env_str("FRONTEND_URL", "http://localhost:3000").rstrip("/")
# How reset mails leave: smtp://user:password@host:587 (STARTTLS), smtps://...:465 (TLS),
# console: (printed; the development default). Required in production.
EMAIL_URL = env_str("EMAIL_URL", "" if IS_PRODUCTION else "console:")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "TaskFlow <noreply@localhost>")
# A reset link works this long, and once (Django's PasswordResetTokenGenerator).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_MINUTES", 60) * 60
# Sign-in attempts per client address, and per e-mail address, in one window; over
# either, 429 + Retry-After before any password is checked (accounts/throttle.py).
LOGIN_ADDRESS_LIMIT = env_int("LOGIN_ADDRESS_LIMIT", 20)
LOGIN_ACCOUNT_LIMIT = env_int("LOGIN_ACCOUNT_LIMIT", 50)
LOGIN_WINDOW_SECONDS = env_int("LOGIN_WINDOW_SECONDS", 15 * 60)
# The frontend's own server: the original's Next route handlers call /auth/* for every
# visitor without passing on the visitor's address, so all of them arrive from here. Its
# requests are limited per account only: counted per address, 20 failed sign-ins by one
# visitor would lock every visitor of the site out.
FRONTEND_SERVER_ADDRESSES = env_list("FRONTEND_SERVER_ADDRESSES")
# Proxies in front of the web process that append to X-Forwarded-For: the client is the
# entry that many from the end. The Procfile platform's router is one; 0 = REMOTE_ADDR.
NUM_PROXIES = env_int("NUM_PROXIES", 1 if IS_PRODUCTION else 0)
GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
GOOGLE_AUTHORIZE_URL = env_str("GOOGLE_AUTHORIZE_URL", "https://accounts.google.com/o/oauth2/v2/auth")
GOOGLE_TOKEN_URL = env_str("GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")
GOOGLE_USERINFO_URL = env_str("GOOGLE_USERINFO_URL", "https://www.googleapis.com/oauth2/v2/userinfo")
GITHUB_CLIENT_ID = env_str("GITHUB_CLIENT_ID")
GITHUB_CLIENT_SECRET = env_str("GITHUB_CLIENT_SECRET")
GITHUB_AUTHORIZE_URL = env_str("GITHUB_AUTHORIZE_URL", "https://github.com/login/oauth/authorize")
GITHUB_TOKEN_URL = env_str("GITHUB_TOKEN_URL", "https://github.com/login/oauth/access_token")
GITHUB_API_URL = env_str("GITHUB_API_URL", "https://api.github.com").rstrip("/")
# A provider's token or user endpoint that does not answer costs a sign-in this long.
OAUTH_TIMEOUT_SECONDS = env_float("OAUTH_TIMEOUT_SECONDS", 10.0)
# How long a sign-in may take between the start route and the provider's callback.
OAUTH_STATE_SECONDS = env_int("OAUTH_STATE_SECONDS", 600)


def email_backend(url: str) -> tuple[str, dict[str, object]]:
    """Django's EMAIL_BACKEND and EMAIL_* settings from EMAIL_URL; ("", {}) if unreadable.

    Ten lines instead of dj-email-url, whose last release is from 2022: three schemes
    are all a reset mail needs. Port defaults: 587 (STARTTLS) for smtp, 465 for smtps."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return "django.core.mail.backends.console.EmailBackend", {}
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        return "", {}
    tls = {"EMAIL_USE_SSL": True} if parts.scheme == "smtps" else {"EMAIL_USE_TLS": parts.port in (None, 587)}
    return "django.core.mail.backends.smtp.EmailBackend", {
        "EMAIL_HOST": parts.hostname, "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""), "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_TIMEOUT": 10, **tls,
    }


# --- Better Auth's JWKS (asymmetric tokens; see README "Better Auth: HS256 and JWKS") ---
def url_origin(url: str) -> str:
    """scheme://host[:port] of a URL: what Better Auth puts in `iss` and `aud`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def better_auth_jwks_url(base_url: str) -> str:
    """Where Better Auth serves its JWKS: a path in its base URL is its basePath
    (".../api/auth" -> ".../api/auth/jwks"), else the default basePath /api/auth."""
    if not base_url:
        return ""
    parts = urlsplit(base_url)
    base_path = parts.path.rstrip("/") or "/api/auth"
    return f"{parts.scheme}://{parts.netloc}{base_path}/jwks"


BETTER_AUTH_JWKS_URL = env_str("BETTER_AUTH_JWKS_URL") or better_auth_jwks_url(BETTER_AUTH_URL)
# The jwt plugin sets iss = aud = the origin of its baseURL, wherever the JWKS is fetched from.
JWKS_ISSUER = BETTER_AUTH_ISSUER or url_origin(BETTER_AUTH_URL)
JWKS_AUDIENCE = BETTER_AUTH_AUDIENCE or url_origin(BETTER_AUTH_URL)
# An unknown kid refetches at most this often per process: a flood of forged kids costs
# the frontend one request per interval per worker, and a rotated key waits at most this
# long. Equal to RETRY_AFTER_SECONDS, so a client told "retry" after a 503 is always
# allowed a fresh fetch when it does.
JWKS_REFETCH_INTERVAL_SECONDS = env_float("JWKS_REFETCH_INTERVAL_SECONDS", 5.0)
# Known keys are refreshed in the background after this long; never expired while down.
JWKS_REFRESH_SECONDS = env_float("JWKS_REFRESH_SECONDS", 300.0)
JWKS_TIMEOUT_SECONDS = env_float("JWKS_TIMEOUT_SECONDS", 3.0)

# --- Django --------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "tasks",
    "accounts",
]

MIDDLEWARE = [
    # Outermost: times the whole request and puts X-Request-Id on every response.
    "tasks.middleware.RequestLogMiddleware",
    # Next, so that CORS headers reach every response, errors included.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A request the web process refused (no place in line, a stalled body) ends here, with the
    # headers above (taskflow.server.admission).
    "taskflow.server.admission.RefusalMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    # /admin/ only: the API sets no cookie and needs no session, CSRF token or messages.
    "tasks.middleware.AdminOnlyMiddleware",
    # Every response, API included: one header, and /docs may not be framed either.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# Run by AdminOnlyMiddleware in this order, as if listed in MIDDLEWARE, for /admin/.
ADMIN_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes asks: turns a locked-out admin login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: a locked account or address is refused before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Failures are counted in PostgreSQL (axes' database handler), so every worker and
# instance agrees. Either limit locks: one account from anywhere, or one address trying
# many accounts.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = ADMIN_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=ADMIN_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The client's address as the platform's router reports it (it is the only peer).
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

ROOT_URLCONF = "taskflow.urls"
WSGI_APPLICATION = "taskflow.wsgi.application"
# The contract: both slash forms work and nothing ever redirects.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# The web: process imports its gunicorn config (taskflow.server.gunicorn) before Django;
# only it pools database connections.
IS_WEB_PROCESS = "taskflow.server.gunicorn" in sys.modules
# Any other URL (or none, in production) is refused in one line at the bottom.
IS_POSTGRES_URL = urlsplit(DATABASE_URL).scheme in {"postgres", "postgresql"}
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)} if IS_POSTGRES_URL else {}
for database in DATABASES.values():
    # Django's PostgreSQL backend with a client-side deadline on COMMIT and ROLLBACK too.
    database["ENGINE"] = "tasks.database.backend"
    # A database that does not answer must cost a request seconds, not a worker forever;
    # the session timeouts are set per connection in tasks.database.session (Neon's pooler refuses
    # the `options` startup parameter).
    database.setdefault("OPTIONS", {}).setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
    # A host that died (no RST, no ACK) ends a connection within ~10 s instead of TCP's
    # retransmission minutes: libpq's keepalives probe an idle socket, and
    # tcp_user_timeout bounds unacknowledged writes. Neither helps where the kernel still
    # acknowledges (a frozen server process): that is tasks.database.deadlines' job.
    database["OPTIONS"].update(keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                               tcp_user_timeout=10_000)
    if IS_WEB_PROCESS:
        # Django's native pool (psycopg_pool), which requires CONN_MAX_AGE = 0: a request
        # takes a connection from it and gives it back at request_finished. `timeout`
        # bounds the wait for one (a reconnect during an outage) like a connect; expired
        # connections are replaced in the pool's background, not on a request's path as
        # CONN_MAX_AGE did.
        database["CONN_MAX_AGE"] = 0
        database["OPTIONS"]["pool"] = {
            "min_size": DB_POOL_SIZE,
            "max_size": DB_POOL_SIZE,
            "timeout": DB_CONNECT_TIMEOUT,
            "max_lifetime": DB_POOL_MAX_LIFETIME_SECONDS,
        }
    else:
        # A command or a test process: plain connections, kept for a minute, so an
        # unreachable database fails at once with libpq's own reason (a pool would retry
        # in its background and answer "couldn't get a connection" after its timeout).
        database["CONN_MAX_AGE"] = 60
    if DB_POOLER == "transaction":
        # Each transaction may run on another server connection: a statement prepared
        # on one is unknown on the next, and a named cursor would outlive its transaction.
        database["OPTIONS"]["prepare_threshold"] = None
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        # psycopg's default (Django's is None: nothing prepared). Only the statements that
        # tasks.sql binds on the server (the list's) can be prepared; Django's own cursors
        # bind on the client, which never prepares.
        database["OPTIONS"].setdefault("prepare_threshold", 5)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # redis-py retries a timed-out call three times by default: one try, short.
        "OPTIONS": {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "retry": None},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Bodies above the limit are answered 413 by tasks.handlers.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES

# Django's default first (new and upgraded hashes); bcrypt verifies the raw bcrypt hashes
# adopted from the original (accounts/adoption.py), which the next sign-in upgrades.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "accounts.hashers.AdoptedBCryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Outside production static files are served straight from the apps, no collectstatic.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Behind the platform's https router ------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
# The router terminates TLS and owns the http->https redirect; the contract forbids
# the API itself from ever answering with a redirect.
SILENCED_SYSTEM_CHECKS = [
    "security.W008",
    # includeSubDomains and preload are the domain owner's choice (SECURE_HSTS_INCLUDE_SUBDOMAINS
    # / SECURE_HSTS_PRELOAD), not a default of ours.
    "security.W005",
    "security.W021",
    # admin.E408-E410 look for the session, auth and messages middleware in MIDDLEWARE;
    # they run for the admin from ADMIN_MIDDLEWARE (tasks/middleware.py).
    "admin.E408",
    "admin.E409",
    "admin.E410",
    # security.W003 looks for CsrfViewMiddleware in MIDDLEWARE: it runs for /admin/, the
    # only cookie-authenticated part, from ADMIN_MIDDLEWARE; the API takes bearer tokens.
    "security.W003",
    # axes.W002 looks for AxesMiddleware in MIDDLEWARE: it runs for /admin/ from ADMIN_MIDDLEWARE.
    "axes.W002",
]

# --- REST framework, authentication, CORS, OpenAPI --------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tasks.auth.authentication.BetterAuthJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["tasks.content.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tasks.content.ORJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "tasks.content.JSONOnlyNegotiation",
    "DEFAULT_METADATA_CLASS": "tasks.content.RouteMetadata",
    "EXCEPTION_HANDLER": "tasks.handlers.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["tasks.throttling.SubjectRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": None,
    # Datetimes leave the serializer as objects; the renderer writes RFC 3339 with "Z".
    "DATETIME_FORMAT": None,
    # Client addresses for the sign-in throttle (accounts/throttle.py), DRF's own rule.
    "NUM_PROXIES": NUM_PROXIES,
}

EMAIL_BACKEND, EMAIL_SETTINGS = email_backend(EMAIL_URL)
globals().update(EMAIL_SETTINGS)

# Only what simplejwt's Token.verify and TokenUser read: Better Auth tokens carry `sub`,
# no jti, no type. Algorithm, keys and leeway go to each TokenBackend that
# tasks.auth.authentication builds; it parses the header itself.
SIMPLE_JWT = {
    "USER_ID_CLAIM": "sub",
    "JTI_CLAIM": None,
    "TOKEN_TYPE_CLAIM": None,
}

CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# The contract's request headers, and the response headers a browser script must read.
CORS_ALLOW_HEADERS = ["authorization", "content-type", "x-request-id", "if-match", "if-none-match", "idempotency-key"]
CORS_EXPOSE_HEADERS = [
    "Location", "Retry-After", "WWW-Authenticate", "Allow", "X-Request-Id", "ETag", "Link", "Idempotent-Replayed",
]

SPECTACULAR_SETTINGS = {
    "TITLE": "TaskFlow API",
    "DESCRIPTION": "Per-user tasks for the TaskFlow frontend. Every /api/ route needs a Better Auth bearer JWT.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs and the schema are public; only /api/ needs a token.
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["tasks.openapi.only_api_routes"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "tasks.openapi.blank_is_in_the_pattern",
                            "tasks.openapi.put_takes_what_patch_takes"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One JSON object per line, each with the request id of the request that logged it.
    "formatters": {"json": {"()": "tasks.logs.JSONFormatter"}},
    "filters": {
        "request_id": {"()": "tasks.logs.RequestIdFilter"},
        "not_outage": {"()": "tasks.logs.NotServiceUnavailable"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Through the root handler only (Django's default adds a second one), and 4xx
        # answers are the API working as specified, not warnings.
        "django": {"handlers": [], "propagate": True},
        # 503s are outages, logged once per outage by tasks.database.outages, not once per request.
        "django.request": {"level": "ERROR", "filters": ["not_outage"]},
        # The pool warns of every failed reconnect and every dropped connection: an outage
        # is logged once, by tasks.database.outages.
        "psycopg.pool": {"level": "ERROR"},
        # axes announces itself at every start, commands included; its lockouts are warnings.
        "axes.apps": {"level": "WARNING"},
    },
}

# --- Production refuses to start when unsafe -------------------------------------------------
problems = [
    reason
    for failed, reason in [
        # A typo ("prod", "Production", "staging") would otherwise start in development
        # mode: DEBUG on and the public dev secret, with which anyone can mint tokens.
        (
            ENVIRONMENT not in ENVIRONMENTS,
            f"ENVIRONMENT must be development or production, not {ENVIRONMENT!r}",
        ),
        (IS_PRODUCTION and not DATABASE_URL, "DATABASE_URL is required in production"),
        (
            bool(DATABASE_URL) and not IS_POSTGRES_URL,
            "DATABASE_URL must be a postgres:// or postgresql:// URL: TaskFlow runs on PostgreSQL only",
        ),
        ("*" in CORS_ALLOWED_ORIGINS, "CORS_ORIGINS may not contain '*': list exact origins"),
        (IS_PRODUCTION and not BETTER_AUTH_SECRET, "BETTER_AUTH_SECRET is required in production"),
        (
            IS_PRODUCTION and 0 < len(BETTER_AUTH_SECRET) < 32,
            "BETTER_AUTH_SECRET must be at least 32 characters in production",
        ),
        (IS_PRODUCTION and not SECRET_KEY, "DJANGO_SECRET_KEY is required in production"),
        (IS_PRODUCTION and DEBUG, "DEBUG must be off in production"),
        (IS_PRODUCTION and not ALLOWED_HOSTS, "ALLOWED_HOSTS is required in production"),
        (MAX_BODY_BYTES <= 0, "MAX_BODY_BYTES must be positive"),
        (DB_POOL_SIZE <= 0, "DB_POOL_SIZE must be positive"),
        (ADMISSION_WAIT_SECONDS <= 0, "ADMISSION_WAIT_SECONDS must be positive"),
        (DB_POOL_MAX_LIFETIME_SECONDS <= 0, "DB_POOL_MAX_LIFETIME_SECONDS must be positive"),
        (DB_IDLE_IN_TRANSACTION_TIMEOUT_MS < 0, "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS may not be negative"),
        (DB_POOLER not in {"", "transaction"}, f"DB_POOLER must be empty or 'transaction', not {DB_POOLER!r}"),
        (REDIS_TIMEOUT_SECONDS <= 0, "REDIS_TIMEOUT_SECONDS must be positive"),
        (CLIENT_TIMEOUT_SECONDS <= 0, "CLIENT_TIMEOUT_SECONDS must be positive"),
        (TOMBSTONE_DAYS <= 0, "TOMBSTONE_DAYS must be a positive number of days"),
        (
            TASK_LIST_FORMAT not in {"array", "object"},
            f"TASK_LIST_FORMAT must be array or object, not {TASK_LIST_FORMAT!r}",
        ),
        (ADMIN_LOGIN_FAILURE_LIMIT <= 0, "ADMIN_LOGIN_FAILURE_LIMIT must be positive"),
        (ADMIN_LOGIN_COOLOFF_MINUTES <= 0, "ADMIN_LOGIN_COOLOFF_MINUTES must be positive"),
        (
            not is_valid_rate(RATE_LIMIT),
            f"RATE_LIMIT must look like 600/minute, not {RATE_LIMIT!r}",
        ),
        (
            IS_PRODUCTION and bool(RATE_LIMIT) and not REDIS_URL,
            "RATE_LIMIT needs REDIS_URL in production (every worker must share the counts)",
        ),
        # urllib would also open file:// and ftp:// URLs: keys come from the web only.
        (
            bool(BETTER_AUTH_JWKS_URL) and not BETTER_AUTH_JWKS_URL.startswith(("https://", "http://")),
            "BETTER_AUTH_JWKS_URL (or BETTER_AUTH_URL) must be an http(s) URL",
        ),
        (JWKS_TIMEOUT_SECONDS <= 0, "JWKS_TIMEOUT_SECONDS must be positive"),
        (IS_PRODUCTION and not EMAIL_URL, "EMAIL_URL is required in production (password reset mails)"),
        (bool(EMAIL_URL) and not EMAIL_BACKEND, f"EMAIL_URL must be smtp://, smtps:// or console:, not {EMAIL_URL!r}"),
        (
            IS_PRODUCTION and EMAIL_BACKEND.endswith(".console.EmailBackend"),
            "EMAIL_URL may not be console: in production (reset mails would go to the log)",
        ),
        (
            not FRONTEND_URL.startswith(("https://", "http://")),
            f"FRONTEND_URL must be an http(s) URL, not {FRONTEND_URL!r}",
        ),
        (min(LOGIN_ADDRESS_LIMIT, LOGIN_ACCOUNT_LIMIT, LOGIN_WINDOW_SECONDS) <= 0,
         "LOGIN_ADDRESS_LIMIT, LOGIN_ACCOUNT_LIMIT and LOGIN_WINDOW_SECONDS must be positive"),
        (NUM_PROXIES < 0, "NUM_PROXIES may not be negative"),
        (JWKS_REFETCH_INTERVAL_SECONDS < 0, "JWKS_REFETCH_INTERVAL_SECONDS may not be negative"),
    ]
    if failed
]
if problems:
    # One line, no traceback: this is what an operator reads in the platform's log.
    sys.exit("ImproperlyConfigured: " + "; ".join(problems))
