// ESLint flat configuration for the beaker-server JupyterLab extension.
//
// Formatting is left to prettier (`npm run prettier:check`): the last entry,
// eslint-config-prettier, switches off every stylistic rule that would
// otherwise fight with it.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Build output and installed packages are never linted.
  globalIgnores(['node_modules/', 'lib/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      // JupyterLab's convention: interfaces are named IThing.
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      // Namespaces are how JupyterLab groups a class's companion types.
      '@typescript-eslint/no-namespace': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    // The configurations of Jest and Babel are CommonJS modules run by Node.
    files: ['*.config.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly'
      }
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    // The style module is loaded by the browser as an ES module.
    files: ['style/**/*.js'],
    languageOptions: { sourceType: 'module' }
  },
  prettier
);
