import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

/**
 * Layering from DESIGN.md, enforced like Perfetto's import allow-list:
 * types ← tsdb/analytics/ingest/alerts/export (pure) ← db ← workers ← state ← components ← routes.
 */
const storage = ['dexie', 'idb-keyval', 'fake-indexeddb', 'fake-indexeddb/*'];
const ui = ['svelte', 'svelte/*', '$app/*', 'comlink', 'chart.js', 'chart.js/*', 'workbox-window'];
const restrict = (patterns, message) => ({
  'no-restricted-imports': [
    'error',
    { patterns: patterns.map((group) => ({ group: [group], message })) }
  ]
});
const pureMessage =
  'Pure code (DESIGN.md): no storage, UI, Comlink or worker imports; pass data and time in.';
const layerPatterns = (layers) => layers.flatMap((l) => [`$lib/${l}/*`, `$lib/${l}`, `**/${l}/*`]);

export default ts.config(
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    // __BENCH__: true only in the benchmark build (vite.config.ts).
    languageOptions: { globals: { ...globals.browser, ...globals.node, __BENCH__: 'readonly' } }
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        extraFileExtensions: ['.svelte'],
        parser: ts.parser,
        svelteConfig
      }
    }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ],
      'svelte/no-navigation-without-resolve': 'off'
    }
  },
  {
    files: ['src/lib/types/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!\\./)', message: 'lib/types imports nothing but itself.' }] }
      ]
    }
  },
  {
    files: [
      'src/lib/analytics/**',
      'src/lib/tsdb/**',
      'src/lib/time/**',
      'src/lib/ingest/**',
      'src/lib/alerts/**',
      'src/lib/export/**',
      'src/lib/demo/**'
    ],
    ignores: ['**/*.test.ts'],
    rules: restrict(
      [
        ...storage,
        ...ui,
        ...layerPatterns(['db', 'workers', 'state', 'components', 'charts', 'collectors'])
      ],
      pureMessage
    )
  },
  {
    // Pure code reads no clock and no DOM: time and policy are arguments (STYLE.md).
    files: [
      'src/lib/analytics/**',
      'src/lib/tsdb/**',
      'src/lib/time/**',
      'src/lib/ingest/**',
      'src/lib/alerts/**',
      'src/lib/export/**',
      'src/lib/demo/**'
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Pure code takes `now` as an argument.' },
        {
          object: 'performance',
          property: 'now',
          message: 'Pure code takes a clock as an argument.'
        }
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Pure code takes `now` as an argument.'
        }
      ],
      'no-restricted-globals': [
        'error',
        ...['window', 'document', 'navigator', 'localStorage', 'indexedDB', 'location'].map(
          (name) => ({
            name,
            message: 'Pure code never touches the DOM or browser storage.'
          })
        )
      ]
    }
  },
  {
    files: ['src/lib/db/**'],
    rules: restrict(
      [...ui, ...layerPatterns(['workers', 'state', 'components', 'charts', 'collectors'])],
      'lib/db is storage only: it may import types, pure code, dexie and idb-keyval.'
    )
  },
  {
    files: ['src/lib/workers/**'],
    rules: restrict(
      ['svelte', 'svelte/*', '$app/*', 'chart.js', ...layerPatterns(['state', 'components'])],
      'Workers join db + analytics + ingest; they never import UI.'
    )
  },
  {
    files: ['src/routes/**', 'src/lib/components/**', 'src/lib/state/**', 'src/lib/charts/**'],
    rules: restrict(
      storage,
      'Only src/lib/db touches IndexedDB; the UI reads through state and the engine.'
    )
  },
  {
    files: ['agent/**'],
    rules: restrict(
      [
        ...storage,
        ...ui,
        ...layerPatterns([
          'db',
          'workers',
          'state',
          'components',
          'charts',
          'collectors',
          'analytics',
          'alerts',
          'export'
        ])
      ],
      'The agent imports only lib/types and lib/ingest.'
    )
  },
  {
    ignores: [
      'build/',
      'build-bench/',
      '.svelte-kit/',
      'dist/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      'bench/out/'
    ]
  }
);
