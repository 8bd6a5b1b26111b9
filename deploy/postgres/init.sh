#!/usr/bin/env bash
# One login role and one database per qcflow service, each role owning only its own database.
#
# Mounted into /docker-entrypoint-initdb.d/ of the postgres image, so it runs ONCE, when the data
# volume is empty. Each role's password comes from its own environment variable (see .env.example);
# changing one later needs `ALTER ROLE <name> PASSWORD '...'` (or a fresh volume).
#
# Values reach SQL only through psql variables (:"name" quotes an identifier, :'password' a
# literal), never by pasting them into the statement text.
set -eo pipefail

create_service_db() {
    local name="$1" password="$2"
    psql --no-psqlrc -v ON_ERROR_STOP=1 \
        --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" \
        --set=name="$name" --set=password="$password" <<'EOSQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
EOSQL
}

create_service_db intake "${INTAKE_DB_PASSWORD:?INTAKE_DB_PASSWORD is not set}"
create_service_db review "${REVIEW_DB_PASSWORD:?REVIEW_DB_PASSWORD is not set}"
create_service_db render "${RENDER_DB_PASSWORD:?RENDER_DB_PASSWORD is not set}"
create_service_db notify "${NOTIFY_DB_PASSWORD:?NOTIFY_DB_PASSWORD is not set}"
