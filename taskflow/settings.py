"""TaskFlow's one settings module: every knob is read from the environment in the
first block, Django/DRF/CORS configuration is built from those names, and the
production refusal sits at the bottom. README.md lists every variable."""
import os
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

# Used only outside production, so `bin/dev` and the tests run with no setup at all.
DEV_AUTH_SECRET = "dev-only-better-auth-secret-change-me-0123456789"
DEV_SECRET_KEY = "django-insecure-dev-only-key"


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        sys.exit(f"ImproperlyConfigured: {name} must be a whole number, not {value!r}")


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        sys.exit(f"ImproperlyConfigured: {name} must be a number, not {value!r}")


def env_bool(name: str, default: bool) -> bool:
    return env_str(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


# --- The environment, in one place -------------------------------------------------
ENVIRONMENT = env_str("ENVIRONMENT", "development")
IS_PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("DEBUG", not IS_PRODUCTION)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "" if IS_PRODUCTION else DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if IS_PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60)
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 5000)
# A trailing slash is a common slip ("http://localhost:3000/"); an origin never has one.
CORS_ALLOWED_ORIGINS = [o.rstrip("/") for o in env_list("CORS_ORIGINS", "http://localhost:3000")]
MAX_BODY_BYTES = env_int("MAX_BODY_BYTES", 1024 * 1024)
RETRY_AFTER_SECONDS = env_int("RETRY_AFTER_SECONDS", 5)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if IS_PRODUCTION else 0)

BETTER_AUTH_SECRET = env_str("BETTER_AUTH_SECRET", "" if IS_PRODUCTION else DEV_AUTH_SECRET)
BETTER_AUTH_URL = env_str("BETTER_AUTH_URL")
BETTER_AUTH_JWKS_URL = env_str("BETTER_AUTH_JWKS_URL")
BETTER_AUTH_ISSUER = env_str("BETTER_AUTH_ISSUER")
BETTER_AUTH_AUDIENCE = env_str("BETTER_AUTH_AUDIENCE")
JWT_LEEWAY_SECONDS = env_int("JWT_LEEWAY_SECONDS", 10)

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
    "tasks",
]

MIDDLEWARE = [
    # Outermost: times the whole request and puts X-Request-Id on every response.
    "tasks.middleware.RequestLogMiddleware",
    # Next, so that CORS headers reach every response, errors included.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer must cost a request seconds, not a worker forever;
    # the statement timeout is set per connection in tasks.apps (Neon's pooler refuses
    # the `options` startup parameter).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", DB_CONNECT_TIMEOUT)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Bodies above the limit are answered 413 by tasks.exceptions.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES

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
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = IS_PRODUCTION
# The router terminates TLS and owns the http->https redirect; the contract forbids
# the API itself from ever answering with a redirect.
SILENCED_SYSTEM_CHECKS = ["security.W008"]

# --- REST framework, authentication, CORS, OpenAPI --------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tasks.authentication.BetterAuthJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["tasks.content.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tasks.content.ORJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "tasks.content.JSONOnlyNegotiation",
    "EXCEPTION_HANDLER": "tasks.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": None,
    # Datetimes leave the serializer as objects; the renderer writes RFC 3339 with "Z".
    "DATETIME_FORMAT": None,
}

# Read by simplejwt's Token/TokenUser: Better Auth tokens carry `sub`, no jti, no type.
SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": BETTER_AUTH_SECRET,
    "USER_ID_CLAIM": "sub",
    "USER_ID_FIELD": "id",
    "JTI_CLAIM": None,
    "TOKEN_TYPE_CLAIM": None,
    "LEEWAY": JWT_LEEWAY_SECONDS,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CORS_ALLOW_HEADERS = ["authorization", "content-type", "x-request-id"]
CORS_EXPOSE_HEADERS = ["Location", "Retry-After", "WWW-Authenticate", "Allow", "X-Request-Id"]

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
    "PREPROCESSING_HOOKS": ["tasks.schema.only_api_routes"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One JSON object per line, each with the request id of the request that logged it.
    "formatters": {"json": {"()": "tasks.logs.JSONFormatter"}},
    "filters": {"request_id": {"()": "tasks.logs.RequestIdFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Through the root handler only (Django's default adds a second one), and 4xx
        # answers are the API working as specified, not warnings.
        "django": {"handlers": [], "propagate": True},
        "django.request": {"level": "ERROR"},
    },
}

# --- Production refuses to start when unsafe -------------------------------------------------
problems = [
    reason
    for failed, reason in [
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
    ]
    if failed
]
if problems:
    # One line, no traceback: this is what an operator reads in the platform's log.
    sys.exit("ImproperlyConfigured: " + "; ".join(problems))
