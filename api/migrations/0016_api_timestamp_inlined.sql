-- api_timestamp() (migration 0003) was declared IMMUTABLE around to_char(), which PostgreSQL declares
-- STABLE: the planner never inlines a function whose body is more volatile than its declaration, so
-- every timestamp of a listed task went through a SQL function call (~2 µs each, five per task: about
-- 40 % of a 50-task page's query time, docs/benchmarks.md "Sixth pass"). Declared STABLE it is inlined
-- and reads exactly as before. Expand-safe: same name, arguments and results for every version.
CREATE OR REPLACE FUNCTION api_timestamp(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
