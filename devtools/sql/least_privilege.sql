-- The database roles refsync needs, and nothing more (SPEC §5).
-- Placeholders are filled by devtools/roles.py with psycopg.sql: {dev_role} and
-- {prod_role} as identifiers, {dev_role_name}/{prod_role_name}/{password} as literals,
-- {database} as the database the grants are for. Roles are cluster-wide and the grants
-- are per database, so each "-- section:" runs where it belongs (the dev and prod
-- databases may live on different servers).

-- section: roles
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {dev_role_name}) THEN
        CREATE ROLE {dev_role};
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {prod_role_name}) THEN
        CREATE ROLE {prod_role};
    END IF;
END
$$;
ALTER ROLE {dev_role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS PASSWORD {password};
ALTER ROLE {prod_role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS PASSWORD {password};

-- section: dev
-- PUBLIC would otherwise hold CONNECT and TEMPORARY on every database.
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
GRANT CONNECT ON DATABASE {database} TO {dev_role};
GRANT USAGE ON SCHEMA public TO {dev_role};
GRANT SELECT ON "service_categories", "services", "database_metadata" TO {dev_role};

-- section: prod
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
GRANT CONNECT ON DATABASE {database} TO {prod_role};
GRANT USAGE ON SCHEMA public TO {prod_role};
GRANT SELECT, INSERT, UPDATE ON "service_categories", "services" TO {prod_role};
GRANT SELECT ON "database_metadata" TO {prod_role};
-- Only the referencing column, so refsync can tell which services are in use.
GRANT SELECT ("serviceId") ON "bookings" TO {prod_role};
GRANT SELECT ("serviceId") ON "provider_services" TO {prod_role};
GRANT SELECT ("serviceId") ON "catalogue_items" TO {prod_role};
GRANT SELECT ("serviceId") ON "booking_drafts" TO {prod_role};
