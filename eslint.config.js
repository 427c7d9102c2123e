import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
);
