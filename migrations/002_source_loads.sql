-- Which ingestion's rows a source object currently has, and how new that version is: a load of an older version
-- finishing after a newer one must not overwrite it (see glue-scripts/landing_etl/load.py).
CREATE TABLE source_loads (
  source_object   text        PRIMARY KEY,
  ingestion_id    text        NOT NULL,
  source_version  text,
  source_modified timestamptz NOT NULL,
  target_table    text        NOT NULL,
  row_count       bigint      NOT NULL,
  loaded_at       timestamptz NOT NULL DEFAULT now()
);
