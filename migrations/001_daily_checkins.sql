-- Serving table for the dailycheckin dataset. Lineage columns tie every row to the ingestion and the source object
-- that loaded it, which is what makes a reload replace rather than duplicate.
CREATE TABLE daily_checkins (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username       text        NOT NULL,
  project        text        NOT NULL,
  hours          numeric     NOT NULL,
  ts             timestamptz NOT NULL,
  ingestion_id   text        NOT NULL,
  source_object  text        NOT NULL,
  source_version text,
  source_line    integer     NOT NULL,
  loaded_at      timestamptz NOT NULL DEFAULT now()
);

-- GET /get?user= reads one user's rows newest first: this index serves it without a sort.
CREATE INDEX daily_checkins_user_ts ON daily_checkins (username, ts DESC, id DESC);
-- A reload deletes the rows of one source object.
CREATE INDEX daily_checkins_source_object ON daily_checkins (source_object);
