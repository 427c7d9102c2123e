-- Which ingestion's rows a source object currently has, how new that version is, and the id range its rows took.
-- A load of an older version finishing after a newer one must not overwrite it, and a reload deletes the earlier
-- rows through the primary key (id range + source_object), which is why the source_object index can go: it cost a
-- third of every load's index maintenance and served nothing else (see glue-scripts/landing_etl/load.py).
CREATE TABLE source_loads (
  source_object   text        PRIMARY KEY,
  ingestion_id    text        NOT NULL,
  source_version  text,
  source_modified timestamptz NOT NULL,
  target_table    text        NOT NULL,
  row_count       bigint      NOT NULL,
  first_id        bigint      NOT NULL,
  last_id         bigint      NOT NULL,
  loaded_at       timestamptz NOT NULL DEFAULT now()
);

-- Rows loaded before this migration get their entry, so "no entry" always means "no rows of that object".
INSERT INTO source_loads (source_object, ingestion_id, source_version, source_modified, target_table, row_count, first_id, last_id)
SELECT source_object, (array_agg(ingestion_id ORDER BY id DESC))[1], (array_agg(source_version ORDER BY id DESC))[1],
       min(loaded_at), 'daily_checkins', count(*), min(id), max(id)
FROM daily_checkins GROUP BY source_object;

DROP INDEX daily_checkins_source_object;
