-- S3's LastModified has whole seconds: two versions of one object uploaded within the same second tie on it. The
-- sequencer of each version's S3 event orders the events of one key (hex text; compared after right-padding the
-- shorter with zeros, as the S3 event message structure documents), so the load records it beside
-- source_modified and orders by it (see glue-scripts/landing_etl/load.py). Loads recorded before this migration
-- have none and are ordered by source_modified alone.
ALTER TABLE source_loads ADD COLUMN source_sequencer text;
