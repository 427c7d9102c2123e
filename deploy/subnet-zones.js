// The one EC2 call of a deploy: the availability zone of a subnet (loaded only by `sls deploy` of a given network).
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';

/** The availability zone of `subnetId`, with the deploy's credentials and region. */
export async function subnetZone(config, subnetId) {
  const { Subnets } = await new EC2Client(config).send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
  const zone = Subnets?.[0]?.AvailabilityZone;
  if (!zone) throw new Error(`EC2 does not know subnet ${subnetId} in this region`);
  return zone;
}
