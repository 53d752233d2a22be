#!/bin/sh
# Restore a base backup into a new data folder and replay the archived WAL after it.
#
#   restore.sh BACKUP_FOLDER WAL_ARCHIVE NEW_DATA_FOLDER [RECOVERY_TARGET_TIME]
#
# Run as the user who will run the restored server (postgres). Without a target time, every archived WAL
# segment is replayed (the cluster as of the last archived change); with one (e.g. '2026-11-27 10:30:00+08')
# replay stops there (point-in-time recovery). The server then promotes itself and accepts writes.
# The restored cluster does not archive (archive_mode = off), so a drill or a copy never writes into the
# production archive; turn archiving back on (deploy/README.md "Backups") before using it as the primary.
# Start it with: pg_ctl -D NEW_DATA_FOLDER -l NEW_DATA_FOLDER/restore.log start
set -eu

# Debian keeps some server programs (pg_verifybackup) out of PATH, in the version's own bin folder.
if ! command -v pg_verifybackup >/dev/null 2>&1 && command -v pg_config >/dev/null 2>&1; then
  PATH="$(pg_config --bindir):$PATH"
fi

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 BACKUP_FOLDER WAL_ARCHIVE NEW_DATA_FOLDER [RECOVERY_TARGET_TIME]" >&2
  exit 2
fi
backup=$1
archive=$2
data=$3
target_time=${4:-}

if [ ! -f "$backup/backup_manifest" ]; then
  echo "$backup is not a base backup (no backup_manifest)" >&2
  exit 2
fi
if [ ! -d "$archive" ]; then
  echo "$archive: no such WAL archive folder" >&2
  exit 2
fi
if [ -e "$data" ] && [ -n "$(ls -A "$data" 2>/dev/null)" ]; then
  echo "$data exists and is not empty: refusing to restore over it" >&2
  exit 2
fi

pg_verifybackup "$backup"
mkdir -p "$data"
cp -a "$backup/." "$data/"
chmod 700 "$data"  # after the copy, which gives the folder the backup folder's own mode
rm -f "$data/backup_manifest" "$data/postmaster.pid"
touch "$data/recovery.signal"
{
  echo "# added by deploy/backup/restore.sh"
  echo "restore_command = 'cp \"$archive/%f\" \"%p\"'"
  echo "recovery_target_action = 'promote'"
  echo "archive_mode = 'off'"
  if [ -n "$target_time" ]; then
    echo "recovery_target_time = '$target_time'"
  fi
} >> "$data/postgresql.auto.conf"
echo "restored into $data; start it and it replays the archived WAL, then accepts writes"
