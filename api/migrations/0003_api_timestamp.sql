-- Task lists are built as JSON by PostgreSQL (api/src/tasks/repository.ts). Their timestamps must read
-- exactly as the API's other responses, which JavaScript's Date#toJSON writes: UTC, milliseconds
-- (truncated), "Z". A simple SQL function is inlined by the planner, so it costs nothing per call.
CREATE FUNCTION api_timestamp(ts timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
