#!/usr/bin/env bash
# Backs up the CRM: the PostgreSQL database and the uploaded files (MEDIA_ROOT).
#
#   DATABASE_URL=postgres://crm:PASSWORD@127.0.0.1:5432/crm \
#   MEDIA_ROOT=/var/lib/crm/media \
#   deploy/backup.sh [TARGET_DIRECTORY]            # default: ./backups
#
# Writes, into TARGET_DIRECTORY:
#   crm-YYYYmmdd-HHMMSS.dump            pg_dump custom format; restore it with deploy/restore.sh
#   crm-YYYYmmdd-HHMMSS-media.tar.gz    the contents of MEDIA_ROOT (only if that directory exists)
# and prints their paths. Then it keeps the newest KEEP backups (default 14; KEEP=0 keeps all)
# and deletes older ones together with their media archives.
#
# Environment:
#   DATABASE_URL  required; the same postgres:// URL the application uses.
#   MEDIA_ROOT    optional; without it (or if the directory is missing) only the database is saved.
#   KEEP          optional; how many backups to keep.
#
# Notes for the administrator:
#   * pg_dump must be the same major version as the server, or newer (PostgreSQL 15:
#     apt-get install postgresql-client-15). The Docker image already contains it, so with
#     docker compose (the backups land in ./backups on the host):
#       docker compose run --rm --no-deps --user "$(id -u):$(id -g)" \
#           -v "$PWD/backups:/backups" web deploy/backup.sh /backups
#   * On a systemd host, take the settings from the service environment file, e.g. from cron:
#       set -a; . /etc/crm/crm.env; set +a; /opt/crm/deploy/backup.sh /var/backups/crm
#   * The password inside DATABASE_URL is visible to other local users in `ps` while pg_dump
#     runs. If that matters, leave it out of the URL and put it in ~/.pgpass instead.
#   * Files are created with mode 0600: the dumps hold every customer's data.
#   * A dump is written under a temporary name and renamed when complete, so a failed run never
#     leaves a half-written file that looks like a backup (or pushes a good one out of KEEP).
set -euo pipefail

prog=$(basename "$0")
die() {
    echo "$prog: $*" >&2
    exit 2
}

if [[ -z "${DATABASE_URL:-}" ]]; then
    die "set DATABASE_URL to the database to back up, e.g. postgres://crm:PASSWORD@127.0.0.1:5432/crm"
fi
command -v pg_dump >/dev/null 2>&1 ||
    die "pg_dump not found: install the PostgreSQL client (apt-get install postgresql-client)"

keep=${KEEP:-14}
[[ "$keep" =~ ^[0-9]+$ ]] || die "KEEP=$keep is not a whole number"

target=${1:-./backups}
mkdir -p -- "$target" || die "cannot create the target directory $target"

# libpq understands postgres:// and postgresql://; django-environ also accepts pgsql:// and
# psql://, so translate those.
db_url=$DATABASE_URL
case "$db_url" in
    pgsql://* | psql://*) db_url="postgresql://${db_url#*://}" ;;
esac

umask 077

# One backup per second at most: wait for a fresh name rather than overwrite an existing one.
while :; do
    stamp=$(date +%Y%m%d-%H%M%S)
    dump="$target/crm-$stamp.dump"
    media_archive="$target/crm-$stamp-media.tar.gz"
    [[ -e "$dump" || -e "$media_archive" ]] || break
    sleep 1
done

partial=""
cleanup() {
    if [[ -n "$partial" ]]; then
        rm -f -- "$partial"
    fi
}
trap cleanup EXIT

# --- the database --------------------------------------------------------------------------
partial="$dump.partial"
# --no-owner: the dump can be restored as any role (e.g. into a new server with another user).
pg_dump --format=custom --no-owner --file="$partial" --dbname="$db_url"
mv -- "$partial" "$dump"
partial=""
echo "$dump"

# --- the uploaded files --------------------------------------------------------------------
if [[ -n "${MEDIA_ROOT:-}" && -d "$MEDIA_ROOT" ]]; then
    partial="$media_archive.partial"
    # Paths inside the archive are relative to MEDIA_ROOT, so it can be unpacked anywhere.
    tar --create --gzip --file="$partial" --directory="$MEDIA_ROOT" .
    mv -- "$partial" "$media_archive"
    partial=""
    echo "$media_archive"
elif [[ -n "${MEDIA_ROOT:-}" ]]; then
    echo "$prog: MEDIA_ROOT=$MEDIA_ROOT does not exist; only the database was saved" >&2
fi

# --- retention -----------------------------------------------------------------------------
if ((keep > 0)); then
    # The names sort by time; LC_ALL=C makes the glob order plain byte order.
    mapfile -t dumps < <(
        shopt -s nullglob
        export LC_ALL=C
        for file in "$target"/crm-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9].dump; do
            echo "$file"
        done
    )
    excess=$((${#dumps[@]} - keep))
    for ((i = 0; i < excess; i++)); do
        old=${dumps[i]}
        rm -f -- "$old" "${old%.dump}-media.tar.gz"
        echo "$prog: deleted the old backup $old" >&2
    done
fi
