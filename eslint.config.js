// Folder boundaries of STYLE.md, checked by a machine:
//   app/      the engine: plain Node, never electron, svelte or the DOM
//   renderer/ the UI: never node:* and only types from app/
//   main/     the only place that imports electron
import tseslint from 'typescript-eslint';
import globals from 'globals';

const noElectron = { name: 'electron', message: 'Only main/ may import electron (STYLE.md: folders are boundaries).' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'renderer/**/*.svelte', '**/*.svelte.ts', 'test-results/**', 'playwright-report/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use the lab rng (STYLE.md: inject randomness).' },
      ],
    },
  },
  {
    files: ['app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noElectron, { name: 'svelte', message: 'app/ is plain Node.' }],
        patterns: [{ group: ['svelte/*', '**/renderer/**', '**/main/**'], message: 'app/ must not import the UI or Electron layers.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // The typescript-eslint rule, because it can allow type-only imports: the renderer takes
      // TYPES from the contract (app/api) and nothing else from the engine.
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [noElectron],
        patterns: [
          { group: ['node:*'], message: 'renderer/ runs in the browser sandbox: no node:* modules.' },
          { group: ['**/app/**', '!**/app/api', '!**/app/api/*'], message: 'renderer/ takes only the contract (app/api) from the engine.' },
          { group: ['**/app/api/*'], allowTypeImports: true, message: 'renderer/ takes only TYPES from the contract (import type).' },
        ],
      }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron] }],
    },
  },
);
