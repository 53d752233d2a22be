#!/bin/sh
# Docker's PostgreSQL image runs this after roles.sql on first start: the three roles' passwords from
# the environment (never in roles.sql or in git).
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres <<SQL
ALTER ROLE quanyu_owner PASSWORD '${QUANYU_OWNER_PASSWORD}';
ALTER ROLE quanyu_app PASSWORD '${QUANYU_APP_PASSWORD}';
ALTER ROLE quanyu_system PASSWORD '${QUANYU_SYSTEM_PASSWORD}';
SQL
