#!/bin/sh
# Entry point of the image: runs the relay as the unprivileged user `bun`.
#
# Started as root (the default), it first gives the data and log folders to `bun`. Docker creates
# a missing bind-mounted folder (./data and ./logs in docker-compose-user.yml) owned by root, and
# a mount hides the ownership the image set, so without this the relay cannot write its secrets,
# database or log file. Only entries not owned by `bun` are changed, symlinks themselves (-h),
# never what they point to. Then root is dropped for good, as the official Redis image does for
# /data. Started as another user (`user:` in compose, `docker run -u`), it runs the command as is.
set -e
if [ "$(id -u)" = 0 ]; then
  for dir in "${DATA_DIR:-/app/data}" "${LOG_DIR:-/app/logs}"; do
    mkdir -p "$dir"
    find "$dir" \! -user bun -exec chown -h bun:bun '{}' +
  done
  exec setpriv --reuid=bun --regid=bun --init-groups "$@"
fi
exec "$@"
