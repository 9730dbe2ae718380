"""The `onegrid` command: Django's management commands under one name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.config.settings")
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(["onegrid", *sys.argv[1:]])
    except DatabaseError:
        # A command run on a database that was never migrated (or is behind) hits a missing
        # table or column: say what to run instead of showing the driver's traceback.
        if sys.argv[1:2] == ["migrate"] or not _migrations_pending():
            raise
        from django.utils.translation import gettext as _

        sys.stderr.write(
            _("The database is not set up (or not up to date): run onegrid migrate first.") + "\n"
        )
        sys.exit(1)


def _migrations_pending() -> bool:
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        connection.close()  # a PostgreSQL transaction aborted by the error is of no more use
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except DatabaseError:
        return True


if __name__ == "__main__":
    main()
