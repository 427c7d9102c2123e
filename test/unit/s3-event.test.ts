import { parseS3Event } from '../../functions/executor/s3-event';

const record = (key: string, eventName = 'ObjectCreated:Put') => ({
  eventName,
  eventTime: '2026-11-21T09:00:00.000Z',
  s3: { bucket: { name: 'landing' }, object: { key, size: 5, eTag: 'abc' } },
});

test('parses every ObjectCreated record and decodes S3 key encoding', () => {
  const objects = parseS3Event({
    Records: [record('dailycheckin/my+file%C3%BC.csv'), record('x.csv', 'ObjectRemoved:Delete'), record('dailycheckin/b.csv')],
  });
  expect(objects.map((o) => o.key)).toEqual(['dailycheckin/my fileü.csv', 'dailycheckin/b.csv']);
});

test('an event that is not an S3 notification is an error naming the field', () => {
  expect(() => parseS3Event({ Records: [{ eventName: 'ObjectCreated:Put' }] })).toThrow(/eventTime|s3/);
});
