// ESLint flat config. Besides typescript-eslint's recommended rules, it enforces the architecture's
// dependency rules (docs/ARCHITECTURE.md): lint, not memory, keeps the packages apart.
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

// typescript-eslint's variant: same patterns, plus `allowTypeImports` per pattern.
const restrict = (patterns, paths = []) => ({
  'no-restricted-imports': 'off',
  '@typescript-eslint/no-restricted-imports': ['error', { patterns, paths }],
});
// Clients load a light protocol entry (`/client`; `/state`, the event reducer alone, for the webview bundle):
// the full one builds every TypeBox schema at import (~50 ms of activation).
const fullProtocol = { name: '@pushpals/protocol', message: "Import '@pushpals/protocol/client' (or '/state') at run time (types may come from either).", allowTypeImports: true };
const vscode = { group: ['vscode'], message: 'Only extension/ may import the vscode API.' };
const orchestrator = { group: ['@pushpals/orchestrator', '@pushpals/orchestrator/*', '**/orchestrator/**', '**/orchestrator'], message: 'Talk to the orchestrator through @pushpals/protocol, never its internals.' };
const extension = { group: ['pushpals', 'pushpals/*', '**/extension/**', '**/extension'], message: 'The extension is a client; nothing imports it.' };
const webview = { group: ['@pushpals/webview-ui', '**/webview-ui/**'], message: 'webview-ui is bundled separately; import it only through its built assets.' };
// The extension may import the TYPES of the extension<->webview contract (webview-ui/src/messages.ts), nothing else.
const webviewTypesOnly = { ...webview, allowTypeImports: true };
const ours = { group: ['@pushpals/*', 'pushpals', '../../*/src/*', '../../*/src/**'], message: 'protocol/ imports nothing of ours.' };

export default tseslint.config(
  { ignores: ['**/dist/**', '**/out/**', '**/node_modules/**', '**/*.d.ts', 'test-results/**', '**/media/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: ['**/*.{js,mjs,cjs}'], rules: { '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/consistent-type-imports': 'off' } },
  { files: ['protocol/**/*.ts'], rules: restrict([vscode, orchestrator, extension, webview, ours]) },
  { files: ['orchestrator/**/*.ts'], rules: restrict([vscode, extension, webview]) },
  // No import circle in the orchestrator: the composition root (app.ts, services.ts) is the only
  // module that knows everything; handlers and agents import the narrow ports they use.
  // (import-x skips `import type` edges: they vanish at run time.)
  {
    files: ['orchestrator/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  { files: ['extension/**/*.ts'], rules: restrict([orchestrator, webviewTypesOnly], [fullProtocol]) },
  { files: ['webview-ui/**/*.ts'], languageOptions: { globals: { ...globals.browser } }, rules: restrict([vscode, orchestrator, extension], [fullProtocol]) },
);
