"""moto's server with two fixes.

S3 must not list a "folder" whose every key's current version is a delete marker.

moto 5.2 adds the common prefix of every key of a versioned bucket to a delimited listing, deleted ones included
(real S3 lists only keys whose current version is an object). Spark's S3A committer lists the task folders of a
job that overwrote an earlier one, finds the deleted ones, and fails with FileNotFoundException on a versioned
bucket such as the data bucket. Remove this when moto lists as S3 does.

CloudFormation must delete a stack's VPC endpoints and route tables with it (their subnet associations first): moto
5.2's VPCEndPoint and RouteTable have no delete_from_cloudformation_json, so a stack with them (the created network)
cannot be removed ("has dependencies" on its VPC), where CloudFormation deletes them as any resource. And it deletes
them in the reverse of the order it created them, as CloudFormation does (moto 5.2 tries them in a set's order and
gives up when a pass deletes nothing: a route table deleted before the gateway endpoint routing through it failed
the endpoint's deletion)."""

import sys

from moto.cloudformation.parsing import ResourceMap
from moto.ec2.models import ec2_backends
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.vpcs import VPCEndPoint
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


def _delete_endpoint(cls, resource_name, cloudformation_json, account_id, region_name):
    ec2_backends[account_id][region_name].delete_vpc_endpoints([resource_name])


def _delete_route_table(cls, resource_name, cloudformation_json, account_id, region_name):
    ec2 = ec2_backends[account_id][region_name]
    if resource_name not in ec2.route_tables:
        return  # gone with its VPC already
    for association in list(ec2.get_route_table(resource_name)._associations):
        ec2.disassociate_route_table(association)
    ec2.delete_route_table(resource_name)


def _delete_in_reverse(self):
    # _parsed_resources fills as references are resolved: a resource after everything it refers to.
    order = [
        k
        for k in reversed(list(self._parsed_resources))
        if self._resource_json_map.get(k, {}).get("DeletionPolicy", "Delete") != "Retain"
    ]
    remaining = [k for k in order if k in self._resource_json_map]
    while remaining:
        failed, last = [], None
        for key in remaining:
            resource = self._parsed_resources.get(key)
            if resource is None or isinstance(resource, str):
                continue
            try:
                self._delete_resource(resource, self._resource_json_map[key])
                self._parsed_resources.pop(key)
            except Exception as e:  # a dependency deleted later in this pass: tried again
                failed.append(key)
                last = e
        if len(failed) == len(remaining):
            raise last
        remaining = failed


ResourceMap.delete = _delete_in_reverse
VPCEndPoint.delete_from_cloudformation_json = classmethod(_delete_endpoint)
RouteTable.delete_from_cloudformation_json = classmethod(_delete_route_table)

if __name__ == "__main__":
    sys.exit(main())
