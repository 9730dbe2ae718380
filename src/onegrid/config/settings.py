"""12-factor settings: all that differs between a laptop demo and a city comes from env vars."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
import xstatic.pkg.leaflet as xstatic_leaflet
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # src/onegrid
VAR_DIR = Path(os.environ.get("ONEGRID_VAR_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("ONEGRID_DEBUG", False)
PRODUCTION = _env_bool("ONEGRID_PRODUCTION", False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when ONEGRID_PRODUCTION=1")
    # The demo generates one key and keeps it under var/ so sessions survive a restart.
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "ninja",
    "onegrid.core",
    "onegrid.territory",
    "onegrid.org",
    "onegrid.cases",
    "onegrid.insight",
    "onegrid.demo",
    "onegrid.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "onegrid.config.urls"
WSGI_APPLICATION = "onegrid.config.wsgi.application"

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
                "onegrid.web.context.navigation",
            ]
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'onegrid.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if not DATABASE_URL.startswith("sqlite://:memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL with BEGIN IMMEDIATE and a busy timeout lets several processes write without "locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    # A file, not memory, so tests can open several connections (concurrent ticks, servers).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Leaflet comes from the pinned XStatic-Leaflet package and is served by the app: no CDN.
STATICFILES_DIRS = [("leaflet", xstatic_leaflet.BASE_DIR)]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("ONEGRID_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

SESSION_COOKIE_AGE = int(os.environ.get("ONEGRID_SESSION_SECONDS", 8 * 3600))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ONEGRID_LOG_LEVEL", "WARNING")},
}

# --- OneGrid's own knobs (all configurable per district) ---
ONEGRID = {
    "DISTRICT_CODE": os.environ.get("ONEGRID_DISTRICT_CODE", "120113000000"),
    # Largest photo accepted, in bytes.
    "PHOTO_MAX_BYTES": int(os.environ.get("ONEGRID_PHOTO_MAX_BYTES", 8 * 1024 * 1024)),
    # Working hours used to count "working hours" time limits, Asia/Shanghai local time.
    "WORKDAY_START": os.environ.get("ONEGRID_WORKDAY_START", "09:00"),
    "WORKDAY_END": os.environ.get("ONEGRID_WORKDAY_END", "17:00"),
    # How long an API token lives, in hours.
    "TOKEN_HOURS": int(os.environ.get("ONEGRID_TOKEN_HOURS", 24 * 30)),
    # Escalation steps after a task's deadline, in working hours: level 1 urge (督办) at the
    # deadline, level 2 whistle to the district (吹哨), level 3 up a level.
    "ESCALATION_AFTER_HOURS": [0, 8, 24],
    # How often a process re-reads the grid layer version (seconds).
    "LOCATOR_RECHECK_SECONDS": float(os.environ.get("ONEGRID_LOCATOR_RECHECK_SECONDS", 2)),
    # Dispatch time limits by urgency, in working hours (red / yellow / blue bands).
    "URGENCY_DISPATCH_HOURS": {"red": 2, "yellow": 24, "blue": 72},
    # Limit for the on-site check after feedback, in working hours.
    "CHECK_HOURS": 8,
    # Optional base map tiles for the live map and the field app, e.g. a city's own tile server
    # "https://tiles.example.gov.cn/{z}/{x}/{y}.png". Empty: grids are drawn as vectors only.
    "MAP_TILE_URL": os.environ.get("ONEGRID_MAP_TILE_URL", ""),
    "MAP_TILE_ATTRIBUTION": os.environ.get("ONEGRID_MAP_TILE_ATTRIBUTION", ""),
    # A new report this close (metres) to an open case of the same class is offered as a duplicate.
    "DUPLICATE_RADIUS_M": float(os.environ.get("ONEGRID_DUPLICATE_RADIUS_M", 150)),
    # How often the live map and the field app ask for news (seconds).
    "LIVE_POLL_SECONDS": int(os.environ.get("ONEGRID_LIVE_POLL_SECONDS", 10)),
}
