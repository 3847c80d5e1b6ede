// ESLint (flat config) with typescript-eslint: `npm run lint`; `npm test` runs it after the type
// check, so CI does too. The rules and the reasons for them: docs/decisions.md, "Lint rules".
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import stylistic from '@stylistic/eslint-plugin';

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
  // The formatter: layout rules from @stylistic, fixed by `npm run format` (eslint --fix) and
  // checked by `npm run lint`, so by `npm test` and CI. The code already followed them (about 120
  // fixes when they came in), so they pin its style down rather than impose a new one.
  {
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/indent': ['error', 2, { SwitchCase: 1, flatTernaryExpressions: true, ignoredNodes: ['TemplateLiteral *', 'TSTypeParameterInstantiation *'] }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/member-delimiter-style': 'error',
      '@stylistic/type-annotation-spacing': 'error',
      '@stylistic/comma-spacing': 'error',
      '@stylistic/key-spacing': 'error',
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/arrow-spacing': 'error',
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 2 }],
      '@stylistic/no-tabs': 'error',
      '@stylistic/eol-last': 'error',
    },
  },
  // tests may build control characters and odd expressions on purpose
  { files: ['test/**'], rules: { 'no-control-regex': 'off', '@typescript-eslint/no-unused-expressions': 'off' } },
);
