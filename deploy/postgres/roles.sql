-- Quanyu: the three PostgreSQL roles and the database (DESIGN.md §2).
--
-- Run once per cluster as a superuser (only a superuser may give BYPASSRLS),
-- with psql, not another client: it uses \gexec, \if and \connect.
--
--   psql -h DBHOST -U postgres -d postgres -v ON_ERROR_STOP=1 -f deploy/postgres/roles.sql
--
-- Idempotent: running it again creates nothing twice and resets the role
-- attributes below. Names can be changed with psql variables, e.g.
--   -v dbname=quanyu_staging -v owner=qs_owner -v app=qs_app -v system=qs_system
--
-- Roles (all NOSUPERUSER, none may create roles):
--   owner   owns the database, the schema and every table; `quanyu db upgrade`
--           connects as it (QUANYU_DATABASE_OWNER_URL). BYPASSRLS so that data
--           migrations see every district's rows.
--   app     every API request and job (QUANYU_DATABASE_URL). NOBYPASSRLS: row-level
--           security confines it to the district set for the transaction.
--   system  operator commands that span districts (QUANYU_DATABASE_SYSTEM_URL).
--           BYPASSRLS, no DDL.
-- Table privileges of app and system are granted by `quanyu db upgrade`, not here.
--
-- Passwords are not set here; set them afterwards, e.g. in psql:
--   \password quanyu_owner      \password quanyu_app      \password quanyu_system

\if :{?dbname}
\else
  \set dbname quanyu
\endif
\if :{?owner}
\else
  \set owner quanyu_owner
\endif
\if :{?app}
\else
  \set app quanyu_app
\endif
\if :{?system}
\else
  \set system quanyu_system
\endif

-- Roles: create the missing ones, then (re)set their attributes.
SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY[:'owner', :'app', :'system']) AS r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec

ALTER ROLE :"owner"  LOGIN NOSUPERUSER BYPASSRLS   NOCREATEROLE NOCREATEDB NOREPLICATION;
ALTER ROLE :"app"    LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION;
ALTER ROLE :"system" LOGIN NOSUPERUSER BYPASSRLS   NOCREATEROLE NOCREATEDB NOREPLICATION;

-- The database, owned by the owner role.
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'dbname', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \gexec

SELECT format('ALTER DATABASE %I OWNER TO %I', :'dbname', :'owner') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'dbname') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I, %I', :'dbname', :'app', :'system') \gexec
-- Data on SSD or fully cached: random reads cost about what sequential ones do. With the default (4.0) the
-- planner picks sequential scans for the first executions of the people count and page on each new
-- connection (7-9 ms instead of 1.5 ms; docs/performance.md, change H).
SELECT format('ALTER DATABASE %I SET random_page_cost = 1.1', :'dbname') \gexec

-- Inside the database: only the owner creates objects in schema public
-- (PostgreSQL 14 still lets everyone create there by default).
\connect :"dbname"
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app", :"system";
