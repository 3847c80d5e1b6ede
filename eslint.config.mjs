// ESLint (flat config) with typescript-eslint: `npm run lint`; `npm test` runs it after the type
// check, so CI does too. The rules and the reasons for them: docs/decisions.md, "Lint rules".
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tributary/**', 'bench/out/**', 'scratch/**', 'test-artifacts/**', 'bin/cli-bundle.js', 'web/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      // one screen wide: 160 columns, URLs and regular expressions exempt (docs/decisions.md)
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }],
      // unused names are mistakes, except the conventional _ for a deliberately ignored one
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true,
      }],
      // driver rows (DuckDB, pg, SQLite) and parsed JSON are typed at the boundary by zod or by hand; any stays allowed there
      '@typescript-eslint/no-explicit-any': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      // `cond ? a() : b()` as a statement reads fine
      '@typescript-eslint/no-unused-expressions': ['error', { allowTernary: true, allowShortCircuit: true }],
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }],
    },
  },
  // tests may build control characters and odd expressions on purpose
  { files: ['test/**'], rules: { 'no-control-regex': 'off', '@typescript-eslint/no-unused-expressions': 'off' } },
);
