import { takeToken } from '../../functions/console/page/token';

test('the page takes its token out of the fragment, alone or after a view\'s address, and keeps the rest as it was', () => {
  expect(takeToken('#token=eyJ.a.b')).toEqual({ token: 'eyJ.a.b', hash: '' });
  expect(takeToken('#/ingestion/dailycheckin-1?token=eyJ.a.b')).toEqual({ token: 'eyJ.a.b', hash: '#/ingestion/dailycheckin-1' });
  expect(takeToken('#/ingestions?dataset=dailycheckin&token=eyJ.a.b&status=FAILED')).toEqual({
    token: 'eyJ.a.b',
    hash: '#/ingestions?dataset=dailycheckin&status=FAILED',
  });
});

test('a fragment without a token is left alone', () => {
  for (const hash of ['', '#', '#/datasets', '#/ingestions?dataset=dailycheckin&cursor=abc', '#token=']) expect(takeToken(hash)).toEqual({ hash });
});
