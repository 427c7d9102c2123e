import * as z from 'zod/mini';
import { ConfigError } from './errors';

/** Parses environment variables once, failing fast with the name of every missing or invalid variable (never its
 *  value: some hold credentials). A variable set to the empty string is unset, as a template or a shell leaves an
 *  optional one. zod/mini, not zod: the full build adds ~450 KB to a bundle that only checks a few strings. */
export function readConfig<T extends z.core.$ZodLooseShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodMiniObject<T>> {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = z.object(shape).safeParse(set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** A non-empty string: the names and ARNs the template gives a function. */
export const required = () => z.string().check(z.minLength(1));
