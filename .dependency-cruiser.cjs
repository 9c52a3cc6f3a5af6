// The import rules of src/ (production files; specs compose pieces of several features and are left out).
// `npm run deps:check` (scripts/deps-check.mjs) runs these and adds the one check dependency-cruiser does not
// express exactly: no cycle between feature folders (src/<folder>/, subfolders included).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycle',
      comment: 'A file that imports itself through others: Nest sees an undefined provider or class at boot.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'realtime-is-the-top',
      comment: 'The gateways use the features; a feature reaches sockets through the bus, never by importing src/realtime.',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: '^src/realtime/' },
      to: { path: '^src/realtime/' },
    },
    {
      name: 'bus-and-contracts-are-leaves',
      comment: 'The bus and the socket contract sit under every feature: they import each other and packages only.',
      severity: 'error',
      from: { path: '^src/(bus|contracts)/' },
      to: { path: '^src/', pathNot: '^src/(bus|contracts)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve (a typo, a moved file).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    // `import type` counts: a type-only cycle between folders is still a cycle in the design.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
