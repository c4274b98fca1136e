-- PostgreSQL roles for a production registry. The service role owns nothing it could use to
-- rewrite history: migrations run as the owner, the service as a role that may only INSERT and
-- SELECT events (the append-only triggers guard against the owner too; `nanbyo verify` finds
-- what a superuser might still change).
CREATE ROLE nanbyo_owner LOGIN PASSWORD 'CHANGE-ME-TOO';
CREATE ROLE nanbyo LOGIN PASSWORD 'CHANGE-ME';
CREATE DATABASE nanbyo OWNER nanbyo_owner;
\connect nanbyo
-- After `nanbyo migrate` has run as nanbyo_owner (every table of migrations/postgres has its
-- grant below; tests/tests/postgres_roles.rs runs the service as this role and fails on one
-- that is missing). `nanbyo projections rebuild` creates and swaps tables: run it as
-- nanbyo_owner, then run the grants below again.
GRANT USAGE ON SCHEMA public TO nanbyo;
GRANT SELECT, INSERT ON events, idempotency_keys, scans TO nanbyo;
-- Secrets and read models (mutable by design, never history): credentials, sessions and the
-- projections' tables and checkpoints.
GRANT SELECT, INSERT, UPDATE, DELETE ON credentials, sessions, projection_checkpoints,
    account_directory, account_affiliations, form_reads, form_search, history, history_forms
    TO nanbyo;
-- Research extracts' read model (de-identified; the files themselves live outside the database).
GRANT SELECT, INSERT, UPDATE, DELETE ON research_forms, research_items, research_linkage TO nanbyo;
-- Bulk imports' read models: each job's progress and each row's outcome, and the keys
-- certification results are matched by (アクセスキー, 受給者番号).
GRANT SELECT, INSERT, UPDATE, DELETE ON import_jobs, import_rows, form_keys TO nanbyo;
-- The 履歴照会・回答 linkage's inquiries (view and attempt counters; no personal data).
GRANT SELECT, INSERT, UPDATE, DELETE ON linkage_inquiries TO nanbyo;
-- Idempotency keys as the HTTP layer claims them (a refused request releases its claim).
GRANT SELECT, INSERT, DELETE ON request_keys TO nanbyo;
