import * as z from 'zod/mini';
import { readConfig, required } from '../../functions/shared/config';
import { ConfigError } from '../../functions/shared/errors';

const shape = {
  TABLE: required(),
  QUALITY_MODE: z.optional(z.enum(['hard', 'soft'], { error: 'must be hard or soft' })),
};

test('an optional variable set to the empty string is unset, as a template or a shell leaves it', () => {
  expect(readConfig(shape, { TABLE: 'runlog', QUALITY_MODE: '' })).toEqual({ TABLE: 'runlog' });
  expect(readConfig(shape, { TABLE: 'runlog', QUALITY_MODE: 'hard' })).toEqual({ TABLE: 'runlog', QUALITY_MODE: 'hard' });
});

test('a missing, empty or invalid variable fails naming it, never echoing its value', () => {
  const error = (() => {
    try {
      readConfig(shape, { TABLE: '', QUALITY_MODE: 'strict' });
    } catch (e) {
      return e as Error;
    }
    throw new Error('readConfig accepted an empty TABLE and QUALITY_MODE=strict');
  })();
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.message).toMatch(/TABLE: .*; QUALITY_MODE: must be hard or soft/);
  expect(error.message).not.toContain('strict');
});
