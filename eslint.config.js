import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The layers, lowest first: functions/ (the Lambda code) ← local/ (the local stack) ← cli/. A layer imports only
 *  the layers below it, and the CLI only the local stack's client and layout, never the stack itself. */
const restrictImports = (patterns) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map(([regex, message]) => ({ regex, message })) }],
});
const layers = [
  {
    files: ['functions/**'],
    rules: restrictImports([
      ['^(\\.\\.?/)+(local|cli)(/|$)', 'functions/ is the Lambda code: it imports neither local/ nor cli/'],
    ]),
  },
  {
    files: ['local/**'],
    rules: restrictImports([['^(\\.\\.?/)+cli(/|$)', 'local/ is below the CLI: it does not import cli/']]),
  },
  {
    files: ['cli/**'],
    rules: restrictImports([
      ['^\\.\\./local/(?!(client|layout)$)', 'the CLI uses the local stack through local/client.ts and local/layout.ts only'],
    ]),
  },
];

export default tseslint.config(
  // bin/ is the CLI built from cli/ (scripts/build-cli.mjs): its sources are linted.
  { ignores: ['node_modules/', '.venv/', '.venv-tools/', '.build/', '.local/', '.serverless/', '.esbuild/', 'coverage/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  ...layers,
);
