import { businessDate, ingestionId } from '../../functions/shared/ingestion-id';

const eventTime = new Date('2026-11-21T23:30:00Z');

describe('businessDate', () => {
  test.each([
    ['dailycheckin/year=2024/month=3/day=7/file.csv', '2024-03-07'],
    ['dailycheckin/2024-02-29/file.csv', '2024-02-29'],
    ['dailycheckin/checkins_20240115.csv', '2024-01-15'],
    ['dailycheckin/file.csv', '2026-11-21'],
    ['dailycheckin/2023-02-30/file.csv', '2026-11-21'],
  ])('reads %s as %s', (key, date) => expect(businessDate(key, eventTime)).toBe(date));
});

describe('ingestionId', () => {
  const source = { bucket: 'landing', key: 'dailycheckin/2024-01-15/a.csv', versionId: 'v1', size: 10 };

  test('is a valid execution name that names the dataset and date', () => {
    const id = ingestionId('dailycheckin', '2024-01-15', source);
    expect(id).toMatch(/^dailycheckin-20240115-[0-9a-f]{16}$/);
    expect(id.length).toBeLessThanOrEqual(80);
  });

  test('is the same for a second delivery of the same object version', () => {
    expect(ingestionId('dailycheckin', '2024-01-15', { ...source })).toBe(ingestionId('dailycheckin', '2024-01-15', source));
  });

  test('differs for a new version of the same key', () => {
    expect(ingestionId('dailycheckin', '2024-01-15', { ...source, versionId: 'v2' })).not.toBe(
      ingestionId('dailycheckin', '2024-01-15', source),
    );
  });

  test("differs for a replay of the same object version, and is the original's without a replay id", () => {
    expect(ingestionId('dailycheckin', '2024-01-15', source, '20261207T203000Z-0a1b2c3d')).not.toBe(ingestionId('dailycheckin', '2024-01-15', source));
    expect(ingestionId('dailycheckin', '2024-01-15', source, undefined)).toBe(ingestionId('dailycheckin', '2024-01-15', source));
  });

  test('stays a valid execution name for any dataset folder name', () => {
    const id = ingestionId('weird name/ü'.repeat(10), '2024-01-15', source);
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });
});
