"""`onegrid backup DIR` and `onegrid restore DIR`: the database and the media files, with a
manifest that lets a restore check what it is given.

* SQLite: Python's `sqlite3.Connection.backup` (SQLite's online backup API) copies the live
  database page by page into one consistent file while the platform keeps running; a restore
  copies it back the same way.
* PostgreSQL: `pg_dump -Fc` in the snapshot of a REPEATABLE READ transaction that also counts
  the rows and reads the migration state (`--snapshot`), so the manifest describes exactly the
  dump; `pg_restore --clean --if-exists --no-owner --single-transaction` puts it back, all or
  nothing. The tools are found on PATH or under /usr/lib/postgresql/*/bin (newest first).
* Media: with the file system storage, MEDIA_ROOT as an uncompressed tar (photos are JPEGs
  already), taken after the database: photos are written before their rows (cases.photos), so
  every row in the database copy finds its file. With S3-compatible storage the bucket's own
  versioning and replication are the backup and the media are left out.
* manifest.json (written last: a backup without it is incomplete): the time, the database
  vendor, the applied migrations, the rows of every table, the SHA-256 and size of each file.

A restore refuses a backup from another database vendor, one whose files do not match their
checksums, one whose migrations the code does not know (made by a newer version: upgrade
the code first), one of another installation (a district this one does not serve), and a
media tar holding anything but plain files and folders under their own names (an absolute
name, `..`, a link or a device). The media tar is unpacked and checked before the database is
touched, so a refused tar leaves everything as it was. It replaces the whole database and
media: stop the app processes, workers and timers first (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_FILE = "media.tar"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the operator."""


Say = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


# --- finding the PostgreSQL tools ---


def find_tool(name: str) -> str:
    """The path of pg_dump or pg_restore: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if candidates:
        return max(candidates, key=_version_of)
    raise BackupError(
        _(
            "%(tool)s was not found on PATH or under /usr/lib/postgresql/*/bin: install the "
            "PostgreSQL client tools (Debian: apt-get install postgresql-client) of the server's "
            "version or newer."
        )
        % {"tool": name}
    )


def _version_of(path: str) -> tuple[int, ...]:
    part = Path(path).parent.parent.name
    return tuple(int(p) for p in part.split(".") if p.isdigit()) or (0,)


def _pg_arguments(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore and their environment (password, SSL)."""
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    args += ["--dbname", str(settings_dict["NAME"])]
    return args, env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-2000:]
        raise BackupError(
            _("%(tool)s failed (exit status %(status)d): %(output)s")
            % {"tool": Path(command[0]).name, "status": done.returncode, "output": tail}
        )


# --- files ---


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_root() -> Path | None:
    """MEDIA_ROOT when the media are on the file system; None for other storages (S3)."""
    if isinstance(default_storage, FileSystemStorage):
        return Path(default_storage.location)
    return None


def _tar_media(root: Path, target: Path) -> int:
    count = 0
    with tarfile.open(target, "w") as tar:
        if root.exists():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
                    count += 1
    return count


def _checked_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The tar's members once each is a plain file or folder under a relative name within the
    media root, else BackupError naming the first that is not (a link, a device, a name that
    is absolute or climbs out with `..`)."""
    members = tar.getmembers()
    for member in members:
        name = member.name
        parts = name.replace("\\", "/").split("/")
        if (
            not (member.isfile() or member.isdir())
            or not name
            or name.startswith("/")
            or re.match(r"[A-Za-z]:", name)
            or ".." in parts
            or "\x00" in name
        ):
            raise BackupError(
                _("The media tar holds %(name)r, not a plain file or folder under the media root.")
                % {"name": name[:200]}
            )
    return members


def _installation_districts() -> list[str]:
    """The 12-digit codes of the districts this installation serves (settings ONEGRID:
    DISTRICT_CODE, then DISTRICT_CODES), read here as core cannot ask territory.district."""
    conf = settings.ONEGRID
    codes: list[str] = []
    for raw in [conf["DISTRICT_CODE"], *str(conf.get("DISTRICT_CODES", "")).split(",")]:
        code = raw.strip()
        if re.fullmatch(r"[0-9]{6}", code):
            code += "000000"
        if code and code not in codes:
            codes.append(code)
    return codes


# --- other folders of files ---

# Files some apps keep on the file system rather than in the media storage (deliberation's
# meeting attachments under ONEGRID_VAR_DIR): each app registers its folder (AppConfig.ready),
# and a backup carries each as `<name>.tar`, restored like the media.
FOLDERS: dict[str, Callable[[], Path]] = {}


def register_folder(name: str, root: Callable[[], Path]) -> None:
    """Back up and restore the files under `root()` as `<name>.tar`."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name == "media":
        raise ValueError(f"a backup folder's name is a plain lower-case word, not {name!r}")
    FOLDERS[name] = root


# --- database state ---


def _counts_and_migrations(
    cursor: Any, tables: Iterable[str], quote: Callable[[str], str]
) -> tuple[dict[str, int], dict[str, list[str]]]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return counts, migrations


def _quote_sqlite(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_state(path: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    with sqlite3.connect(path) as db:
        cursor = db.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        state = _counts_and_migrations(cursor, tables, _quote_sqlite)
    db.close()
    return state


def _sqlite_path(settings_dict: dict[str, Any]) -> Path:
    name = str(settings_dict["NAME"])
    if name in ("", ":memory:") or name.startswith("file::memory:"):
        raise BackupError(_("An in-memory SQLite database cannot be backed up or restored."))
    return Path(name)


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while other connections read and write."""
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target, timeout=60)
    try:
        with dst:
            src.backup(dst)  # all pages in one step: never restarted by a concurrent write
    finally:
        dst.close()
        src.close()


# --- backup ---


@dataclass
class Manifest:
    data: dict[str, Any]

    @property
    def vendor(self) -> str:
        return str(self.data["database"]["vendor"])

    @property
    def tables(self) -> dict[str, int]:
        return dict(self.data["tables"])

    @property
    def migrations(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.data["migrations"].items()}


def backup(target: Path, *, say: Say = _quiet, alias: str = "default") -> Manifest:
    """Back up the database and the media into the new (or empty) directory `target`."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(
            _("%(dir)s exists and is not an empty directory: give a new one.") % {"dir": target}
        )
    target.mkdir(parents=True, exist_ok=True)
    connection = connections[alias]
    vendor = connection.vendor
    started = dt.datetime.now(dt.UTC)
    if vendor == "sqlite":
        source = _sqlite_path(connection.settings_dict)
        say(_("Copying the SQLite database %(name)s (online backup)…") % {"name": source})
        _copy_sqlite(source, target / SQLITE_FILE)
        tables, migrations = _sqlite_state(target / SQLITE_FILE)
        database = {"vendor": vendor, "name": source.name, "file": SQLITE_FILE}
    elif vendor == "postgresql":
        tables, migrations = _pg_dump(connection, target / PG_FILE, say)
        database = {"vendor": vendor, "name": connection.settings_dict["NAME"], "file": PG_FILE}
    else:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(v)s.") % {"v": vendor})
    root = _media_root()
    if root is not None:
        say(_("Archiving the media under %(root)s…") % {"root": root})
        media: dict[str, Any] = {"file": MEDIA_FILE, "files": _tar_media(root, target / MEDIA_FILE)}
    else:
        media = {
            "skipped": f"the media are in object storage ({type(default_storage).__name__}): "
            "its own versioning and replication are their backup"
        }
        say(_("Media skipped: they are in object storage; its versioning is their backup."))
    folders: dict[str, Any] = {}
    for name, folder_root in sorted(FOLDERS.items()):
        folder = Path(folder_root())
        say(_("Archiving the files under %(root)s…") % {"root": folder})
        folders[name] = {"file": f"{name}.tar", "files": _tar_media(folder, target / f"{name}.tar")}
    files = {
        path.name: {"sha256": sha256_of(path), "size": path.stat().st_size}
        for path in sorted(target.iterdir())
    }
    manifest = {
        "format": FORMAT,
        "created_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": database,
        "installation": {"district_codes": _installation_districts()},
        "migrations": migrations,
        "tables": tables,
        "media": media,
        "folders": folders,
        "files": files,
    }
    partial = target / (MANIFEST + ".part")
    partial.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    partial.replace(target / MANIFEST)
    return Manifest(manifest)


def _pg_dump(
    connection: Any, target: Path, say: Say
) -> tuple[dict[str, int], dict[str, list[str]]]:
    tool = find_tool("pg_dump")
    args, env = _pg_arguments(connection.settings_dict)
    # A connection of its own: a REPEATABLE READ transaction whose snapshot pg_dump shares, so
    # the counts and migrations in the manifest are those of the dump.
    own = connection.copy()
    try:
        own.ensure_connection()
        raw = own.connection
        raw.autocommit = False
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            say(_("Dumping the PostgreSQL database (pg_dump -Fc)…"))
            _run(
                [tool, "--format=custom", f"--snapshot={snapshot}", "--file", str(target), *args],
                env,
            )
            tables = own.introspection.table_names(cursor)
            state = _counts_and_migrations(cursor, tables, own.ops.quote_name)
        raw.rollback()
    finally:
        own.close()
    return state


# --- restore ---


@dataclass
class RestoreResult:
    manifest: Manifest
    notes: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)  # row counts unlike the manifest's


def read_manifest(source: Path) -> Manifest:
    path = Path(source) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            _("%(dir)s holds no manifest.json: not a OneGrid backup, or an unfinished one.")
            % {"dir": source}
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError(_("%(file)s is not valid JSON.") % {"file": path}) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(
            _("%(file)s is not a backup manifest this version reads.") % {"file": path}
        )
    return Manifest(data)


def check_backup(source: Path, *, alias: str = "default") -> Manifest:
    """The backup's manifest, once its files match their checksums, its database is of the
    vendor in use and the code knows every migration it has applied."""
    source = Path(source)
    manifest = read_manifest(source)
    listed = manifest.data.get("files")
    if not isinstance(listed, dict):
        raise BackupError(_("The manifest lists no files."))
    media = manifest.data["media"]
    named = [manifest.data["database"].get("file"), *([media["file"]] if "file" in media else [])]
    named += [f.get("file") for f in (manifest.data.get("folders") or {}).values()]
    for name in [*listed, *named]:
        if not isinstance(name, str) or not name or Path(name).name != name or name[0] == ".":
            raise BackupError(
                _("The manifest names the file %(name)r: a backup's files are plain names.")
                % {"name": str(name)[:200]}
            )
    for name in named:
        if name not in listed:
            raise BackupError(
                _("The manifest names %(name)s without its checksum.") % {"name": name}
            )
    for name, expected in sorted(listed.items()):
        path = source / name
        if not path.is_file():
            raise BackupError(_("The backup's file %(name)s is missing.") % {"name": name})
        if path.stat().st_size != expected["size"] or sha256_of(path) != expected["sha256"]:
            raise BackupError(
                _("The backup's file %(name)s does not match its checksum: it is damaged.")
                % {"name": name}
            )
    vendor = connections[alias].vendor
    if manifest.vendor != vendor:
        raise BackupError(
            _("The backup is of a %(theirs)s database; this installation uses %(ours)s.")
            % {"theirs": manifest.vendor, "ours": vendor}
        )
    theirs = (manifest.data.get("installation") or {}).get("district_codes")
    if theirs is not None:
        ours = _installation_districts()
        foreign = [str(code) for code in theirs if code not in ours]
        if foreign:
            raise BackupError(
                _(
                    "The backup is of another installation: it serves the districts %(theirs)s, "
                    "this one %(ours)s (ONEGRID_DISTRICT_CODE, ONEGRID_DISTRICT_CODES). Set the "
                    "same districts here, then restore."
                )
                % {"theirs": ", ".join(map(str, theirs)), "ours": ", ".join(ours)}
            )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest.migrations.items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            _(
                "The backup was made by a newer version: the code does not know its migrations "
                "%(names)s. Install that version (or newer) first, then restore."
            )
            % {"names": ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")}
        )
    return manifest


def restore(source: Path, *, say: Say = _quiet, alias: str = "default") -> RestoreResult:
    """Replace the database and the media with the backup in `source` (checked first)."""
    source = Path(source)
    manifest = check_backup(source, alias=alias)
    result = RestoreResult(manifest)
    # The media are unpacked (and their tar checked) before the database is touched: a tar
    # that is refused leaves the database and the media as they were.
    staged: list[tuple[Path, Path]] = []  # (staging, the folder it replaces)
    try:
        media = _stage_media(source, manifest, result, say)
        if media is not None:
            staged.append(media)
        for name, entry in sorted((manifest.data.get("folders") or {}).items()):
            if name not in FOLDERS:
                result.notes.append(
                    _("The backup's files %(name)s belong to no part of this version: left out.")
                    % {"name": name}
                )
                continue
            folder = Path(FOLDERS[name]())
            say(_("Restoring the files under %(root)s…") % {"root": folder})
            staged.append((_stage_tar(source / entry["file"], folder), folder))
        _restore_database(source, manifest, result, say, alias)
        for staging, folder in staged:
            _swap_folder(staging, folder)
    finally:
        for staging, _folder in staged:
            shutil.rmtree(staging, ignore_errors=True)
    pending = _unapplied_migrations(alias)
    if pending:
        result.notes.append(
            _("The backup predates %(n)d migrations of this code: run `onegrid migrate`.")
            % {"n": pending}
        )
    return result


def _restore_database(
    source: Path, manifest: Manifest, result: RestoreResult, say: Say, alias: str
) -> None:
    connection = connections[alias]
    file = source / manifest.data["database"]["file"]
    connections.close_all()
    if manifest.vendor == "sqlite":
        live = _sqlite_path(connection.settings_dict)
        say(_("Restoring the SQLite database %(name)s…") % {"name": live})
        _copy_sqlite(file, live)
        counts, _migrations = _sqlite_state(live)
    else:
        tool = find_tool("pg_restore")
        args, env = _pg_arguments(connection.settings_dict)
        say(_("Restoring the PostgreSQL database (pg_restore --clean)…"))
        _run(
            [
                tool,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(file),
            ],
            env,
        )
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            counts, _migrations = _counts_and_migrations(cursor, tables, connection.ops.quote_name)
        connection.close()
        extra = sorted(set(counts) - set(manifest.tables))
        if extra:
            result.notes.append(
                _("Tables not in the backup were left as they were: %(t)s")
                % {"t": ", ".join(extra)}
            )
    for table, rows in sorted(manifest.tables.items()):
        if counts.get(table) != rows:
            result.differences.append(
                _("%(table)s: %(have)s rows after the restore, %(want)d in the backup.")
                % {"table": table, "have": counts.get(table, "—"), "want": rows}
            )


def _stage_media(
    source: Path, manifest: Manifest, result: RestoreResult, say: Say
) -> tuple[Path, Path] | None:
    """The backup's media unpacked into a folder beside MEDIA_ROOT, and MEDIA_ROOT (None: none
    to restore)."""
    media = manifest.data["media"]
    root = _media_root()
    if "file" not in media:
        result.notes.append(_("The backup holds no media (object storage): none restored."))
        return None
    if root is None:
        result.notes.append(
            _("The media were not restored: this installation keeps them in object storage.")
        )
        return None
    say(_("Restoring the media under %(root)s…") % {"root": root})
    return _stage_tar(source / media["file"], root), root


def _stage_tar(tar_path: Path, root: Path) -> Path:
    """The tar's files (checked: plain files and folders only) unpacked beside `root`."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=root.parent))
    try:
        with tarfile.open(tar_path) as tar:
            members = _checked_members(tar)
            tar.extractall(staging, members=members, filter="data")
    except (tarfile.TarError, OSError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(
            _("The media tar cannot be unpacked: %(error)s") % {"error": error}
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _swap_folder(staging: Path, root: Path) -> None:
    """Replace `root`'s contents (not the folder itself: it may be a mount point)."""
    for entry in list(root.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in list(staging.iterdir()):
        shutil.move(str(entry), root / entry.name)


def _unapplied_migrations(alias: str) -> int:
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[alias]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    connection.close()
    return len(plan)
