#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh: the database, and optionally the uploaded files.
#
#   DATABASE_URL=postgres://crm:PASSWORD@127.0.0.1:5432/crm \
#   MEDIA_ROOT=/var/lib/crm/media \
#   deploy/restore.sh [--yes] crm-YYYYmmdd-HHMMSS.dump [crm-YYYYmmdd-HHMMSS-media.tar.gz]
#
# THIS OVERWRITES THE DATABASE named by DATABASE_URL: every table in the dump is dropped and
# re-created from the backup. It asks for "yes" on a terminal; in a script pass --yes.
#
# Environment:
#   DATABASE_URL  required; the database to restore into (it must exist; it may be empty).
#   MEDIA_ROOT    required only with a media archive; created if missing. Files in the archive
#                 replace files of the same name; other files already there are left alone.
#
# Before restoring, stop everything that uses the database, or the restore waits on their locks:
#   systemd:         systemctl stop crm-web crm-worker crm-beat
#   docker compose:  docker compose stop web worker beat
# and start them again afterwards. Restore with the release that made the backup; with a newer
# release run `manage.py migrate` after the restore.
#
# The restore runs in a single transaction: if anything fails, the database is left as it was.
# pg_restore must be the same major version as the server, or newer.
set -euo pipefail

prog=$(basename "$0")
die() {
    echo "$prog: $*" >&2
    exit 2
}
usage() {
    echo "usage: $prog [--yes] BACKUP.dump [BACKUP-media.tar.gz]"
}

assume_yes=false
files=()
while (($#)); do
    case "$1" in
        -y | --yes) assume_yes=true ;;
        -h | --help)
            usage
            exit 0
            ;;
        --)
            shift
            files+=("$@")
            break
            ;;
        -*) die "unknown option $1; $(usage)" ;;
        *) files+=("$1") ;;
    esac
    shift
done

((${#files[@]} >= 1 && ${#files[@]} <= 2)) || die "$(usage)"
dump=${files[0]}
media_archive=${files[1]:-}

# Check everything before touching anything.
if [[ -z "${DATABASE_URL:-}" ]]; then
    die "set DATABASE_URL to the database to restore into, e.g. postgres://crm:PASSWORD@127.0.0.1:5432/crm"
fi
command -v pg_restore >/dev/null 2>&1 ||
    die "pg_restore not found: install the PostgreSQL client (apt-get install postgresql-client)"
[[ -f "$dump" && -r "$dump" ]] || die "cannot read the dump $dump"
pg_restore --list "$dump" >/dev/null || die "$dump is not a pg_dump custom-format file"
if [[ -n "$media_archive" ]]; then
    [[ -f "$media_archive" && -r "$media_archive" ]] || die "cannot read the media archive $media_archive"
    [[ -n "${MEDIA_ROOT:-}" ]] || die "set MEDIA_ROOT to the directory the uploaded files go to"
    tar --list --gzip --file="$media_archive" >/dev/null || die "$media_archive is not a .tar.gz archive"
fi

db_url=$DATABASE_URL
case "$db_url" in
    pgsql://* | psql://*) db_url="postgresql://${db_url#*://}" ;;
esac
# The URL without its password, for the messages.
shown_url=$(sed -E 's#^([a-z]+://[^:/@]*):[^@]*@#\1:***@#' <<<"$db_url")

# --- confirmation --------------------------------------------------------------------------
if ! $assume_yes; then
    if [[ -t 0 ]]; then
        echo "This replaces the database $shown_url with $dump."
        if [[ -n "$media_archive" ]]; then
            echo "It also unpacks $media_archive into $MEDIA_ROOT."
        fi
        read -r -p "Type yes to continue: " answer
        [[ "$answer" == "yes" ]] || {
            echo "$prog: cancelled; nothing was changed" >&2
            exit 1
        }
    else
        die "this overwrites the database $shown_url; pass --yes to confirm"
    fi
fi

# --- the database --------------------------------------------------------------------------
# --clean --if-exists: drop each object before re-creating it, quietly when it is not there
#                      (so the same command works on an empty and on a populated database).
# --no-owner:          the objects belong to the role in DATABASE_URL, whoever owned them before.
# --single-transaction: all or nothing.
pg_restore --clean --if-exists --no-owner --single-transaction --dbname="$db_url" "$dump"
echo "$prog: restored the database $shown_url from $dump"

# --- the uploaded files --------------------------------------------------------------------
if [[ -n "$media_archive" ]]; then
    mkdir -p -- "$MEDIA_ROOT"
    # --no-same-owner: the files belong to whoever runs the restore (run it as the crm user).
    tar --extract --gzip --no-same-owner --file="$media_archive" --directory="$MEDIA_ROOT"
    echo "$prog: restored the uploaded files into $MEDIA_ROOT from $media_archive"
fi
