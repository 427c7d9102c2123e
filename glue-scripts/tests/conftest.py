import os

import pytest

os.environ.setdefault("LANDING_ETL_LOCAL_S3", "/nonexistent")  # local Spark settings; tests pass file paths
os.environ.setdefault("LANDING_ETL_SPARK_MASTER", "local[2]")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


@pytest.fixture(scope="session")
def spark():
    from landing_etl.spark import session

    spark = session("landing-etl-tests")
    yield spark
    spark.stop()
