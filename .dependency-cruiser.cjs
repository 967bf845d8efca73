/**
 * `npm run cycles` (part of `npm run check`): no import cycles anywhere in src/, type-only
 * imports included (`tsPreCompilationDeps`), .svelte and .svelte.ts files included. A ring
 * of modules has no order to read or test them in; the engine worker was one (issue 19).
 * tsconfig.depcruise.json restates the `$lib` alias with a baseUrl, which the resolver
 * dependency-cruiser uses needs (SvelteKit's generated tsconfig has paths only).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles (type-only imports count): cut one with a leaf module.',
      from: {},
      to: { circular: true }
    }
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.svelte-kit)' }
  }
};
