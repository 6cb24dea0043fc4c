// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'arbiter-ui/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'import-x/no-cycle': 'error',
      'no-console': 'error',
    },
  },
  {
    // DESIGN.md "Layout and import direction": the library is pure and never imports the service.
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src', from: './oracle' },
            { target: './src', from: './scripts' },
            { target: './src', from: './arbiter-ui' },
            { target: './src', from: './party-app' },
            { target: './oracle', from: './scripts' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/crypto/**/*.ts', 'src/dlc/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            'fs',
            'node:fs',
            'node:fs/promises',
            'net',
            'node:net',
            'http',
            'node:http',
            'pino',
          ],
          patterns: ['node:child_process'],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'fetch'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'src/ is pure: take time as a parameter' },
      ],
    },
  },
  {
    files: ['oracle/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { zones: [{ target: './oracle', from: './scripts' }] },
      ],
    },
  },
  {
    // The parties' app uses the library as the CLI does; it never imports the oracle service.
    files: ['party-app/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './party-app', from: './oracle' },
            { target: './party-app', from: './scripts' },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
