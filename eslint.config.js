import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const storageDrivers = ['classic-level', 'memory-level', 'abstract-level', 'pg'];
const observabilityLibs = ['winston', 'prom-client'];

function restrict(names, where) {
  return names.map((name) => ({ name, message: `only ${where} may import ${name}` }));
}

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/.scratch/**',
      '**/node_modules/**',
      '**/.turbo/**',
      'coverage/**',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Public functions validate their arguments at run time for JavaScript callers, which the
      // types call unnecessary.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...restrict(storageDrivers, 'persistence and apps/gq'),
            ...restrict(observabilityLibs, 'observability'),
          ],
        },
      ],
    },
  },
  {
    files: ['packages/persistence/**', 'apps/gq/**', 'bench/**', 'examples/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: restrict(observabilityLibs, 'observability') }],
    },
  },
  {
    files: ['packages/observability/**', 'apps/gq/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.test.ts', '**/testing/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs', 'vitest.config.ts'], ...tseslint.configs.disableTypeChecked },
);
