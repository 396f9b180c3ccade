"""Settings for egov, read from the environment (twelve-factor).

SQLite is the embedded default for a laptop demo; a province sets ``DATABASE_URL`` to PostgreSQL.
Nothing secret lives in the repository: ``EGOV_SECRET_KEY`` must be set outside development.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SRC_DIR.parent.parent
VAR_DIR = Path(os.environ.get("EGOV_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("EGOV_DEBUG", default=False)
# Under pytest the test defaults apply even before any conftest runs.
TESTING = env_bool("EGOV_TESTING", default="pytest" in sys.modules)

_secret = os.environ.get("EGOV_SECRET_KEY")
if not _secret:
    if not (DEBUG or TESTING):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("EGOV_SECRET_KEY must be set (or EGOV_DEBUG=1 for development).")
    # Development only: a fresh random key per process start; sessions do not survive restarts.
    _secret = secrets.token_urlsafe(50)
SECRET_KEY = _secret
# Old keys still accepted while a rotated key takes over (comma-separated).
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("EGOV_SECRET_KEY_FALLBACKS", "").split(",") if k]

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("EGOV_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("EGOV_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # django-ninja's bundled static files: /api/v1/docs serves Swagger UI locally, not from a CDN.
    "ninja",
    "egov.core",
    "egov.accounts",
    "egov.catalog",
    "egov.dossiers",
    "egov.notifications",
    "egov.population",
    "egov.signing",
    "egov.documents",
    "egov.payments",
    "egov.exchange",
    "egov.feedback",
    "egov.dashboards",
    "egov.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "egov.config.urls"
WSGI_APPLICATION = "egov.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "egov.accounts.context_processors.officer",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'egov.sqlite3'}"),
        conn_max_age=int(os.environ.get("EGOV_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the task worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Take the write lock when a transaction starts: two processes upgrading read locks at once
            # would otherwise fail with "database is locked" instead of waiting (the exchange endpoint
            # and the task worker do exactly that).
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["TEST"] = (
        {"NAME": str(VAR_DIR / "test.sqlite3")} if env_bool("EGOV_SQLITE_FILE_TESTS") else {}
    )

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "EGOV_PG_SERVER_SIDE_BINDING", True
):
    # Parameters travel apart from the SQL (no quoting of literals in Python) and psycopg prepares the
    # statements a connection runs often (prepare_threshold 5): less CPU per query on both sides.
    # Django leaves psycopg's threshold at None (never prepare) unless it is given here.
    _prepare_threshold = os.environ.get("EGOV_PG_PREPARE_THRESHOLD", "5").strip()
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": True,
            "prepare_threshold": int(_prepare_threshold) if _prepare_threshold else None,
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # First, always: django-axes counts failed sign-ins and locks out, whichever backend answers.
    "axes.backends.AxesStandaloneBackend",
    # Citizens sign in with the e-mail address or mobile number they registered (any usual spelling).
    "egov.accounts.citizen.CitizenBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dossiers:worklist"
LOGOUT_REDIRECT_URL = "portal:home"

AXES_FAILURE_LIMIT = int(os.environ.get("EGOV_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The log-in page with a Vietnamese explanation instead of axes' English text.
AXES_LOCKOUT_CALLABLE = "egov.accounts.views.lockout_response"
AXES_ENABLED = not TESTING or env_bool("EGOV_AXES_IN_TESTS")

LANGUAGE_CODE = "vi"
# Only Vietnamese until an English catalog exists: a browser asking for English would otherwise get
# Django's own messages in English on Vietnamese pages.
LANGUAGES = [("vi", _("Tiếng Việt"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Our own stylesheet and script live in src/egov/static (not inside an app).
STATICFILES_DIRS = [SRC_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("EGOV_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Digital signatures (egov.signing): the development CA's keys and CRLs and cached font subsets live
# here, never in the repository. The passphrase encrypts every signing key at rest (PKCS#12 bundles,
# CA keys); it must be set outside development (EGOV_DEBUG=1 and tests use a fixed development one).
EGOV_SIGNING_DIR = Path(os.environ.get("EGOV_SIGNING_DIR", VAR_DIR / "signing"))
EGOV_SIGNING_PASSPHRASE = os.environ.get("EGOV_SIGNING_PASSPHRASE", "")

# Uploads: the limit a single attachment may have (bytes); checked by content in the services too.
EGOV_MAX_UPLOAD_BYTES = int(os.environ.get("EGOV_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
# An API submission carries its files in base64 (4/3 larger), several per request.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * EGOV_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Public base URL, printed in QR codes on receipts.
EGOV_PUBLIC_URL = os.environ.get("EGOV_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# PDF font with Vietnamese glyphs (DejaVu Sans from Debian's fonts-dejavu-core by default).
EGOV_PDF_FONT_DIRS = [
    p for p in os.environ.get("EGOV_PDF_FONT_DIRS", "/usr/share/fonts/truetype/dejavu").split(":") if p
]

TASKS = {
    "default": {
        "BACKEND": "egov.core.task_backend.DatabaseBackend",
        "QUEUES": ["default", "notifications"],
    }
}

# Development prints e-mails on the console (no mail server on a laptop); deployments send by SMTP.
EMAIL_BACKEND = os.environ.get(
    "EGOV_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EGOV_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EGOV_EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("EGOV_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EGOV_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EGOV_EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
# SMS: a carrier adapter in production; the development backend writes messages to the log.
EGOV_SMS_BACKEND = os.environ.get("EGOV_SMS_BACKEND", "egov.notifications.adapters.sms.LogSmsBackend")
DEFAULT_FROM_EMAIL = os.environ.get("EGOV_DEFAULT_FROM_EMAIL", "egov <no-reply@egov.local>")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("EGOV_SESSION_SECONDS", str(8 * 3600)))
SESSION_COOKIE_SECURE = env_bool("EGOV_SECURE_COOKIES", default=not (DEBUG or TESTING))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env_bool("EGOV_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("EGOV_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "pyhanko.sign.validation": {"level": "ERROR"}},
}

# Deadline scan: a dossier is "due soon" when fewer than this many working hours remain.
EGOV_DUE_SOON_WORKING_HOURS = int(os.environ.get("EGOV_DUE_SOON_WORKING_HOURS", "8"))

# Online fee payment (Decree 61/2018 art. 22) through VNPay 2.1.0 (reference/vn-standards.md §9.3): the
# merchant terminal code, hash secret and pay-page URL come from the VNPay contract. Only in development,
# in tests, or with the simulator turned on for a demo (EGOV_PAYMENT_SIMULATOR=1: anyone can then "pay"
# for free) do they default to the built-in simulator at /payments/simulator/.
EGOV_PAYMENT_SIMULATOR = env_bool("EGOV_PAYMENT_SIMULATOR")
_simulated_payments = DEBUG or TESTING or EGOV_PAYMENT_SIMULATOR
EGOV_VNPAY_TMN_CODE = os.environ.get("EGOV_VNPAY_TMN_CODE", "EGOVSIM1" if _simulated_payments else "")
EGOV_VNPAY_HASH_SECRET = os.environ.get(
    "EGOV_VNPAY_HASH_SECRET", "EGOVDEVONLYNOTASECRETSIMULATOR01" if _simulated_payments else ""
)
EGOV_VNPAY_URL = os.environ.get(
    "EGOV_VNPAY_URL", "/payments/simulator/paymentv2/vpcpay.html" if _simulated_payments else ""
)
# Minutes a citizen has on the gateway's page (vnp_ExpireDate).
EGOV_PAYMENT_EXPIRE_MINUTES = int(os.environ.get("EGOV_PAYMENT_EXPIRE_MINUTES", "15"))
# Where the simulator sends its IPN (default EGOV_PUBLIC_URL + /payments/ipn); tests use the live server.
EGOV_PAYMENT_SIMULATOR_IPN_URL = os.environ.get("EGOV_PAYMENT_SIMULATOR_IPN_URL", "")

if TESTING:
    # Fast hashing keeps the suite quick; production keeps Django's PBKDF2 default.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Exposes /bench/bare, the baseline view the benchmarks in bench/ compare against. Never in production.
EGOV_BENCH = env_bool("EGOV_BENCH")

# Name shown next to the account in authenticator apps.
OTP_TOTP_ISSUER = "egov"

# Seconds a worker remembers a bearer token's account and roles on the registry API (0: check every request).
EGOV_REGISTRY_AUTH_CACHE_SECONDS = int(os.environ.get("EGOV_REGISTRY_AUTH_CACHE_SECONDS", "10"))
