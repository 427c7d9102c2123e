// The network a stage runs in: `created` (no subnetIds: the stack builds its own VPC, deploy/resources/network.yml)
// or `given` (the account's subnets and security group), and the availability zone of the Glue connection.

export class NetworkConfigError extends Error {
  name = 'NetworkConfigError';
}

export const networkMode = (subnetIds) => (String(subnetIds ?? '').trim() ? 'given' : 'created');

/** The zone of the Glue connection's subnet, the first of a given subnetIds; '' for a created network, whose template
 *  reads it from the subnet it creates. Glue needs it to be that subnet's zone ("Error: Could not find subnet for AZ",
 *  AWS Glue "Troubleshooting Glue common setup errors"), so it is never typed where it can be read: on deploy
 *  `describe(subnetId)` asks EC2 (DescribeSubnets) and a `given` zone that differs is an error; offline (package)
 *  the `given` glueAvailabilityZone parameter stands in, which `landing-etl doctor` checks against EC2. */
export async function glueAvailabilityZone({ subnetIds, given, describe, required }) {
  if (networkMode(subnetIds) === 'created') return '';
  const subnet = String(subnetIds).split(',')[0].trim();
  if (describe) {
    const zone = await describe(subnet);
    if (given && given !== zone) {
      throw new NetworkConfigError(
        `parameter glueAvailabilityZone is ${given} but subnet ${subnet} (the Glue connection's) is in ${zone}: Glue would ` +
          'fail with "Could not find subnet for AZ". Leave glueAvailabilityZone empty: the deploy reads it from EC2.',
      );
    }
    return zone;
  }
  if (!given && required) {
    throw new NetworkConfigError(
      `missing parameter glueAvailabilityZone, the zone of subnet ${subnet}: \`sls deploy\` reads it from EC2, but packaging ` +
        'offline needs it given (--param="glueAvailabilityZone=…"; `landing-etl doctor` checks it).',
    );
  }
  return given;
}
