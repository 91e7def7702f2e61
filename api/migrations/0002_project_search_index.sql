-- contract step: drops only the index this migration replaces; no query names an index
-- Full-text search always runs inside one project. A GIN index over (project_id, search) — btree_gin
-- lets GIN index the uuid — finds a project's matching tasks with one index scan, where the plain
-- tsvector index found every project's matches and intersected them with another index (4x slower on
-- 100k tasks; see docs/benchmarks.md). btree_gin ships with PostgreSQL and is a trusted extension: the
-- database owner may create it without superuser rights.
--
-- fastupdate = off on both GIN indexes: with it on, new rows wait in a pending list that every search
-- scans until (auto)vacuum merges it; after 20,000 inserts that made a search 17x slower. Inserts pay a
-- little more instead, once.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX tasks_project_search_idx ON tasks USING gin (project_id, search) WITH (fastupdate = off);
DROP INDEX tasks_search_idx;
ALTER INDEX tasks_labels_idx SET (fastupdate = off);
