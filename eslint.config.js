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

/**
 * `src/lib/db` is the only storage edge (DESIGN.md): elsewhere a table or a transaction is
 * never reached through a database object (`db.series…`, `stores.db.events…`); call a
 * function of `$lib/db` instead. The names are TidemarkDb's tables (db/database.ts).
 */
const dbTables =
  'series|chunks|events|meta|rollups|late|anomalies|imports|detectors|dashboards|schedules|exportRuns|tables|transaction';
const dbTableAccess = {
  selector: [`[object.name='db']`, `[object.property.name='db']`]
    .map((o) => `MemberExpression[property.name=/^(${dbTables})$/]${o}`)
    .join(', '),
  message: 'Only src/lib/db touches IndexedDB tables: add or call a function in $lib/db.'
};

export default ts.config(
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    // __BENCH__: true only in the benchmark build; __UPGRADE_TEST__ only in the upgrade
    // test's second build (vite.config.ts).
    languageOptions: {
      globals: {
        ...globals.browser,
        ...globals.node,
        __BENCH__: 'readonly',
        __UPGRADE_TEST__: 'readonly'
      }
    }
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
    files: ['src/**/*.ts', 'src/**/*.svelte'],
    ignores: ['src/lib/db/**', '**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', dbTableAccess] }
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
      'src/lib/convert/**',
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
      'src/lib/convert/**',
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
    // Workers and collectors reach IndexedDB only through $lib/db (tests set up fixtures).
    files: ['src/lib/workers/**', 'src/lib/collectors/**'],
    ignores: ['**/*.test.ts'],
    rules: restrict(
      [
        'svelte',
        'svelte/*',
        '$app/*',
        'chart.js',
        ...storage,
        ...layerPatterns(['state', 'components'])
      ],
      'Workers and collectors never import UI, and reach IndexedDB only through $lib/db.'
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
          'alerts'
        ])
      ],
      'The agent imports only lib/types, lib/ingest and lib/export (pure writers, for /metrics and forwarding).'
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
