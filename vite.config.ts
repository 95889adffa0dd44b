import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

// The UI lives in ui/; Tauri serves ui/dist (see tauri.conf.json).
export default defineConfig({
  root: 'ui',
  plugins: [svelte({ configFile: '../svelte.config.js' })],
  resolve: {
    alias: { $lib: fileURLToPath(new URL('./ui/src/lib', import.meta.url)) },
  },
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: '127.0.0.1' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'safari15', sourcemap: false },
  test: { root: '.', include: ['ui/src/**/*.test.ts'], environment: 'node' },
});
