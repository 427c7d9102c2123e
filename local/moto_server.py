"""moto's server with one fix: S3 must not list a "folder" whose every key's current version is a delete marker.

moto 5.2 adds the common prefix of every key of a versioned bucket to a delimited listing, deleted ones included
(real S3 lists only keys whose current version is an object). Spark's S3A committer lists the task folders of a
job that overwrote an earlier one, finds the deleted ones, and fails with FileNotFoundException on a versioned
bucket such as the data bucket. Remove this when moto lists as S3 does."""

import sys

from moto.s3.models import FakeDeleteMarker, S3Backend
from moto.server import main

_list_objects = S3Backend.list_objects


def _list_live_objects(self, bucket, prefix, delimiter, marker, max_keys):
    keys, folders, truncated, token = _list_objects(self, bucket, prefix, delimiter, marker, max_keys)
    if delimiter and folders:
        live = [name for name, key in bucket.keys.items() if not isinstance(key, FakeDeleteMarker)]
        folders = [f for f in folders if any(name.startswith(f) for name in live)]
    return keys, folders, truncated, token


S3Backend.list_objects = _list_live_objects

if __name__ == "__main__":
    sys.exit(main())
