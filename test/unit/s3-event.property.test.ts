import fc from 'fast-check';
import * as z from 'zod/mini';
import { parseS3Event } from '../../functions/executor/s3-event';
import { s3EventRecord } from '../../local/landing-watcher';
import { seeded } from '../support/property';

/** Any object key S3 allows: 1–1024 bytes of UTF-8 (any code point but lone surrogates). */
const key = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 200 })
  .filter((k) => Buffer.byteLength(k) <= 1024);

/** How S3 writes a key into an event (application/x-www-form-urlencoded: '+' for a space), in the three ways
 *  encoders differ: '/' kept or encoded, and every byte but letters and digits encoded. */
const encodings = {
  kept: (k: string) => encodeURIComponent(k).replace(/%2F/g, '/').replace(/%20/g, '+'),
  encoded: (k: string) => encodeURIComponent(k).replace(/%20/g, '+'),
  everyByte: (k: string) =>
    [...Buffer.from(k)].map((b) => (b === 0x20 ? '+' : /[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join(''),
};

const event = (encodedKey: string, sequencer?: string) => ({
  Records: [
    {
      eventName: 'ObjectCreated:Put',
      eventTime: '2026-11-21T09:00:00.000Z',
      s3: { bucket: { name: 'landing' }, object: { key: encodedKey, size: 5, eTag: 'abc', ...(sequencer !== undefined ? { sequencer } : {}) } },
    },
  ],
});

test('any key, encoded as S3 encodes keys in events, decodes to itself', () => {
  fc.assert(
    fc.property(key, fc.constantFrom(...Object.values(encodings)), (k, encode) => {
      expect(parseS3Event(event(encode(k))).map((o) => o.key)).toEqual([k]);
    }),
    seeded(),
  );
});

test('the local stack announces any key the way the executor decodes it', () => {
  fc.assert(
    fc.property(key, (k) => {
      const record = s3EventRecord({ bucket: 'landing', key: k, size: 5, eTag: 'abc', versionId: undefined, sequencer: '01' }, 'us-east-1');
      expect(parseS3Event({ Records: [record] }).map((o) => o.key)).toEqual([k]);
    }),
    seeded(),
  );
});

test('an event field that does not decode is an error of the event naming the field, never another exception', () => {
  const malformed = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.stringMatching(/^[a-z/]{0,5}(%[0-9A-Fa-f]{0,2}|%[C-F][0-9A-F](%[0-7][0-9A-F])?){1,3}[a-z]{0,3}$/), // stray %, bytes that are not UTF-8
  );
  fc.assert(
    fc.property(malformed, (encodedKey) => {
      try {
        // What decodes is a key S3 could hold: encoded again, it decodes to itself.
        for (const o of parseS3Event(event(encodedKey))) expect(parseS3Event(event(encodings.encoded(o.key)))[0]!.key).toBe(o.key);
      } catch (e) {
        expect(e).toBeInstanceOf(z.core.$ZodError);
        expect((e as z.core.$ZodError).issues[0]!.path).toEqual(['Records', 0, 's3', 'object', 'key']);
      }
    }),
    seeded(1000),
  );
});

test("the sequencer is kept as upper-case hex; one that is not hex is dropped, not the event", () => {
  fc.assert(
    fc.property(fc.oneof(fc.stringMatching(/^[0-9A-Fa-f]{1,64}$/), fc.string({ maxLength: 70 })), (sequencer) => {
      const [object] = parseS3Event(event('dailycheckin/a.csv', sequencer));
      expect(object!.sequencer).toBe(/^[0-9A-Fa-f]{1,64}$/.test(sequencer) ? sequencer.toUpperCase() : undefined);
    }),
    seeded(),
  );
});
