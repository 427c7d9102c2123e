import * as z from 'zod/mini';
import { ConfigError } from './errors';

/** Parses environment variables once, failing fast with the name of every missing or invalid variable. zod/mini,
 *  not zod: the full build adds ~450 KB to a bundle that only checks a few strings. */
export function readConfig<T extends z.core.$ZodLooseShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodMiniObject<T>> {
  const parsed = z.object(shape).safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** A non-empty string: the names and ARNs the template gives a function. */
export const required = () => z.string().check(z.minLength(1));
