import * as z from 'zod/mini';
import { CredentialsError } from './errors';
import { readSecretString } from './secrets';

/** Where the query Lambda's database connection comes from: a URL locally, a Secrets Manager secret on AWS. */
export type ConnectionTarget =
  | { url: string }
  | { host: string; port: number; username: string; password: string; database: string };

export interface CredentialSource {
  /** The cached target, read on first use; `fresh` re-reads it (after an authentication failure). */
  read(fresh: boolean): Promise<ConnectionTarget>;
}

export const urlCredentials = (url: string): CredentialSource => ({ read: async () => ({ url }) });

/** The RDS secret format; RDS-managed secrets may carry only username and password, hence DB_HOST and defaults. */
const rdsSecretSchema = z.object({
  username: z.string().check(z.minLength(1)),
  password: z.string().check(z.minLength(1)),
  host: z.optional(z.string()),
  port: z.optional(z.coerce.number().check(z.refine(Number.isInteger), z.minimum(1), z.maximum(65535))),
  dbname: z.optional(z.string().check(z.minLength(1))),
});

export function parseRdsSecret(secretId: string, secretString: string, hostOverride?: string): ConnectionTarget {
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch {
    throw new CredentialsError(`secret ${secretId}: SecretString is not JSON`);
  }
  const parsed = rdsSecretSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].join(', ');
    throw new CredentialsError(`secret ${secretId}: missing or invalid field(s) ${fields}`);
  }
  const host = hostOverride || parsed.data.host;
  if (!host) throw new CredentialsError(`secret ${secretId}: has no host and DB_HOST is not set`);
  return {
    host,
    port: parsed.data.port ?? 5432,
    username: parsed.data.username,
    password: parsed.data.password,
    database: parsed.data.dbname ?? 'postgres',
  };
}

/** Reads the secret once and caches it for the container's life; a rotation is picked up by `read(true)`. */
export function secretCredentials(secretId: string, hostOverride?: string): CredentialSource {
  let cached: Promise<ConnectionTarget> | undefined;
  return {
    read(fresh) {
      if (!cached || fresh) {
        const reading = readSecretString(secretId).then((s) => parseRdsSecret(secretId, s, hostOverride));
        // A failed read is not cached: the next request tries again.
        reading.catch(() => {
          if (cached === reading) cached = undefined;
        });
        cached = reading;
      }
      return cached;
    },
  };
}
