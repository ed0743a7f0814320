// Folder boundaries, checked by a machine (docs/architecture.md, "Layers" and "Boundaries"):
//   app/      the engine: plain Node, never electron, svelte or the DOM; between its folders,
//             only the imports the layer table allows (eslint/layers.js: a cycle is an error)
//   renderer/ the UI (.ts, .svelte and .svelte.ts alike): never node:* and only types from app/api
//   main/     the only place that imports electron
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import { layersPlugin } from './eslint/layers.js';

const noElectron = { name: 'electron', message: 'Only main/ may import electron (docs/architecture.md, "Boundaries").' };

// The renderer takes TYPES from the contract (app/api) and nothing else from the engine. The
// typescript-eslint rule, because it can allow type-only imports.
const rendererImports = {
  'no-restricted-imports': 'off',
  '@typescript-eslint/no-restricted-imports': ['error', {
    paths: [noElectron],
    patterns: [
      { group: ['node:*'], message: 'renderer/ runs in the browser sandbox: no node:* modules.' },
      { group: ['**/app/**', '!**/app/api', '!**/app/api/*'], message: 'renderer/ takes only the contract (app/api) from the engine.' },
      { group: ['**/app/api/*'], allowTypeImports: true, message: 'renderer/ takes only TYPES from the contract (import type).' },
    ],
  }],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-results/**', 'playwright-report/**'] },
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/base'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use the lab rng (docs/architecture.md, "Randomness").' },
      ],
    },
  },
  {
    files: ['app/**/*.ts'],
    plugins: { postcard: layersPlugin },
    rules: {
      'postcard/layers': 'error',
      'no-restricted-imports': ['error', {
        paths: [noElectron, { name: 'svelte', message: 'app/ is plain Node.' }],
        patterns: [{ group: ['svelte/*', '**/renderer/**', '**/main/**'], message: 'app/ must not import the UI or Electron layers.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: rendererImports,
  },
  {
    // Svelte components and rune modules (.svelte.ts) parse with svelte's parser, TypeScript inside.
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
    rules: rendererImports,
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron] }],
    },
  },
);
