"""CareNet settings: one module, driven by the environment (see CONTRACT.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dj_database_url

from carenet.lib.env import (
    ConfigError,
    env_bool,
    env_list,
    env_path,
    env_secret,
    env_str,
    private_file,
)
from carenet.lib.staticfiles import add_static_headers

BASE_DIR = Path(__file__).resolve().parent
CARENET_HOME = env_path("CARENET_HOME", Path.home() / ".carenet")

DEBUG = env_bool("CARENET_DEBUG", False)
SECRET_KEY = env_secret("CARENET_SECRET_KEY", CARENET_HOME, "secret_key")
FIELD_KEY = env_secret("CARENET_FIELD_KEY", CARENET_HOME, "field_key")
# Keys being retired by a key rotation (comma-separated): values still sealed with them
# stay readable until `carenet manage rotate_field_key` has re-encrypted every row.
FIELD_KEYS_OLD = env_list("CARENET_FIELD_KEY_OLD", [])
ALLOWED_HOSTS = env_list("CARENET_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",  # login lockout (carenet.accounts.lockout)
    "django_otp",  # optional two-factor sign-in (carenet.accounts.twofactor)
    "django_otp.plugins.otp_totp",
    "csp",
    "treebeard",
    "simple_history",
    "carenet.orgs",
    "carenet.children",
    "carenet.care",
    "carenet.web",
    "carenet.api",
    "carenet.pairing",
    "carenet.accounts",
    "carenet.notify",
    "huey.contrib.djhuey",
    "carenet.childplans",
    "carenet.alerts",
    "carenet.safeguard",
    "carenet.exchange",
    "carenet.audit",
    "carenet.reports",
    "carenet.dashboards",
    "carenet.indicators",
    "carenet.support",
    "carenet.schoolyear",
    "carenet.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "carenet.lib.compression.TextGZipMiddleware",  # pages and JSON gzipped (not static files)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "carenet.accounts.middleware.SecondFactorMiddleware",
    "carenet.web.middleware.SetupMiddleware",  # a new site: every page to /setup/
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its 429 answer
]

ROOT_URLCONF = "carenet.urls"
WSGI_APPLICATION = "carenet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carenet.web.context.navigation",
                "carenet.notify.context.inbox",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = env_str("DATABASE_URL")
    if url is None:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(private_file(CARENET_HOME / "carenet.sqlite3")),
            "OPTIONS": {
                # 8 KiB pages (a new database only; before WAL, which fixes the size): a
                # register import's inserts and index builds take ~20% less than with 4 KiB.
                "init_command": (
                    "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "ATOMIC_REQUESTS": True,
        }
    if not url.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ConfigError("DATABASE_URL: expected postgres://user@host:port/name or sqlite:///path")
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL: cannot parse it: {exc}") from exc
    config["ATOMIC_REQUESTS"] = True
    return dict(config)


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "carenet.accounts.validators.MinimumLength",  # Django's, in Chinese
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
CSRF_COOKIE_HTTPONLY = False
AUTHENTICATION_BACKENDS = [
    "carenet.accounts.lockout.LockoutBackend",  # first: refuses locked-out logins (axes)
    "django.contrib.auth.backends.ModelBackend",
]

# Lockout (django-axes): 8 failures lock a username *from one address* for 30 minutes — never
# an address alone (a whole school shares one). Both the login page and the API's token
# endpoint authenticate with the request, so both count. `carenet manage axes_reset` unlocks.
AXES_FAILURE_LIMIT = 8
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "carenet.accounts.lockout.lockout_response"
# Across addresses: this many failures of one username within the window (since its last
# sign-in) lock it from everywhere (carenet.accounts.lockout.username_locked). The failure
# log is what counts them; `carenet manage axes_reset_failure_logs --age 0` unlocks.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
USERNAME_FAILURE_LIMIT = 30
USERNAME_FAILURE_WINDOW = dt.timedelta(hours=24)
# The client address: REMOTE_ADDR, or behind one reverse proxy (CARENET_BEHIND_PROXY=1) the
# address that proxy appended to X-Forwarded-For (see carenet.accounts.lockout.client_ip).
CARENET_BEHIND_PROXY = env_bool("CARENET_BEHIND_PROXY", False)
AXES_CLIENT_IP_CALLABLE = "carenet.accounts.lockout.client_ip"

# Activation codes (a new or reset account sets its own password with one): valid this long.
ACTIVATION_CODE_VALIDITY = dt.timedelta(days=14)

# Two-factor sign-in (django-otp TOTP), optional, for county and school administrators.
OTP_TOTP_ISSUER = "CareNet"

# Web hardening. CSP (django-csp 4): no inline script or style; Bootstrap's CSS uses data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind TLS (CARENET_HTTPS=1): cookies only over HTTPS, HSTS for a year, http → https.
CARENET_HTTPS = env_bool("CARENET_HTTPS", False)
SESSION_COOKIE_SECURE = CARENET_HTTPS
CSRF_COOKIE_SECURE = CARENET_HTTPS
SECURE_HSTS_SECONDS = 31536000 if CARENET_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = CARENET_HTTPS
SECURE_SSL_REDIRECT = env_bool("CARENET_SSL_REDIRECT", CARENET_HTTPS)
if CARENET_BEHIND_PROXY:
    # The proxy must set this header itself (overwriting any the client sent).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload commits the whole domain and its subdomains to the browsers' preload
    # list; that is the deploying county's decision, not a default.
    "security.W021",
]
if CARENET_HTTPS and not SECURE_SSL_REDIRECT:
    # CARENET_SSL_REDIRECT=0: the TLS proxy in front redirects http → https itself.
    SILENCED_SYSTEM_CHECKS.append("security.W008")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = CARENET_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = CARENET_HOME / "media"
# Uploads (record photos, registers waiting to be imported) readable by their owner only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Static files (carenet.lib.staticfiles): `carenet serve` collects them into STATIC_ROOT with
# hashed names and brotli/gzip copies, served cached for a year; before any collection (tests,
# runserver) pages name the plain files, served from the apps' folders (the finders).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "carenet.lib.staticfiles.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_KEEP_ONLY_HASHED_FILES = True  # the plain names come from the finders
WHITENOISE_ADD_HEADERS_FUNCTION = add_static_headers

# API tokens live this long (days).
API_TOKEN_DAYS = 30


# The one queue (huey): background and scheduled work, e.g. the daily reminders at 07:00.
# SQLite in CARENET_HOME by default; CARENET_QUEUE_URL=redis://host:6379/0 moves it to
# Redis. (Huey has no PostgreSQL backend.) Tests switch it to immediate mode (conftest).
def _huey() -> dict:
    common = {
        "name": "carenet",
        "immediate": False,
        "utc": False,  # crontab in local time: TIME_ZONE
        "consumer": {"workers": 1, "worker_type": "thread"},
    }
    url = env_str("CARENET_QUEUE_URL")
    if url is None:
        return {
            **common,
            "huey_class": "huey.SqliteHuey",
            "filename": str(private_file(CARENET_HOME / "queue.sqlite3")),
        }
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("CARENET_QUEUE_URL: expected redis://host:port/db (unset = SQLite)")
    try:
        import redis  # noqa: F401
    except ImportError:
        raise ConfigError(
            "CARENET_QUEUE_URL: Redis needs the redis package (pip install redis)"
        ) from None
    return {**common, "huey_class": "huey.RedisHuey", "url": url}


HUEY = _huey()

# Large imports share their CPU-bound work with one forked helper process
# (carenet.lib.parallel); off, everything runs in the importing process.
HELPER_PROCESS = True

# A web import's upload (encrypted) is kept this many hours at most: a batch still pending
# after that is abandoned and its upload deleted (hourly job, `carenet manage retention`).
IMPORT_UPLOAD_HOURS = 24

# E-mail: printed to the console unless CARENET_SMTP_HOST is set (then sent over SMTP).
EMAIL_HOST = env_str("CARENET_SMTP_HOST") or "localhost"
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("CARENET_SMTP_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
_smtp_port = env_str("CARENET_SMTP_PORT") or "25"
if not _smtp_port.isdigit():
    raise ConfigError(f"CARENET_SMTP_PORT: expected a port number, got {_smtp_port!r}")
EMAIL_PORT = int(_smtp_port)
EMAIL_HOST_USER = env_str("CARENET_SMTP_USER") or ""
EMAIL_HOST_PASSWORD = env_str("CARENET_SMTP_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("CARENET_SMTP_TLS", False)
DEFAULT_FROM_EMAIL = env_str("CARENET_EMAIL_FROM") or "carenet@localhost"
# SMS/WeChat reminders: a class with send(user, message) -> bool (carenet.notify.senders).
CARENET_SMS_SENDER = env_str("CARENET_SMS_SENDER") or "carenet.notify.senders.LogSender"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Retention (PIPL art. 19, 47): archived child files (left, or 16 and over) are anonymised
# this many years after archiving by `carenet manage retention`.
_retention = env_str("CARENET_RETENTION_YEARS") or "3"
if not _retention.isdigit() or int(_retention) < 1:
    raise ConfigError(f"CARENET_RETENTION_YEARS: expected a whole number ≥ 1, got {_retention!r}")
CARENET_RETENTION_YEARS = int(_retention)

# The days within which a school year's step (carenet school-year start) may be undone.
SCHOOL_YEAR_UNDO_DAYS = 14
