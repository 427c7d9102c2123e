"""landing-etl Glue jobs: pure DataFrame functions used by the thin entry scripts transform.py, quality.py, load.py."""
