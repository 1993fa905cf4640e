// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'web/dist/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A queue service lives or dies by awaited promises.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      // The pure core has no I/O, no clock, no env (docs/architecture.md).
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', '!node:crypto', 'fs', 'path', 'http', 'https', 'net', 'child_process', 'os'], message: 'src/core is pure: no I/O modules.' },
          { group: ['**/adapters/**', '**/app/**', '**/server/**', '**/cli/**', '**/config/**', '**/ports/**'], message: 'src/core imports nothing outside src/core.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'src/core reads no environment.' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Time comes into the core as an argument.' }],
    },
  },
);
