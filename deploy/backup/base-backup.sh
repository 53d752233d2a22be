#!/bin/sh
# A base backup of the whole Quanyu cluster with PostgreSQL's own tools, checked against its manifest.
#
#   base-backup.sh TARGET_FOLDER
#
# Run as the postgres system user (or any user whose files the restore may own). The connection comes
# from the usual libpq variables (PGHOST, PGPORT, PGUSER: a role with REPLICATION, e.g. postgres over the
# local socket). The server must archive its WAL (archive_mode = on, archive_command copying into the
# archive folder, see deploy/README.md "Backups"): the backup plus the archived WAL after it restore the
# cluster to any moment since, and the backup alone (WAL streamed into it with -X stream) restores it to
# the moment the backup ended. Taken while the platform runs: no downtime, no locks held.
set -eu

# Debian keeps some server programs (pg_verifybackup) out of PATH, in the version's own bin folder.
if ! command -v pg_verifybackup >/dev/null 2>&1 && command -v pg_config >/dev/null 2>&1; then
  PATH="$(pg_config --bindir):$PATH"
fi

if [ $# -ne 1 ]; then
  echo "usage: $0 TARGET_FOLDER (must not exist or be empty)" >&2
  exit 2
fi
target=$1
if [ -e "$target" ] && [ -n "$(ls -A "$target" 2>/dev/null)" ]; then
  echo "$target exists and is not empty: refusing to write a backup over it" >&2
  exit 2
fi

# -c fast: start at once with an immediate checkpoint; -X stream: the WAL written meanwhile goes into the
# backup, so it is consistent on its own; the manifest lets pg_verifybackup check every file.
pg_basebackup -D "$target" -F plain -X stream -c fast --manifest-checksums=SHA256 \
  --label "quanyu $(date -u +%Y-%m-%dT%H:%M:%SZ)"
pg_verifybackup "$target"
echo "base backup in $target (verified)"
