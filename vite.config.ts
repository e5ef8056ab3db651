// Builds the Svelte renderer (renderer/) into dist-renderer/, served by `vql serve` and loaded
// by the Electron window. base './' so Electron's loadFile() resolves the assets.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here + 'renderer',
  base: './',
  plugins: [svelte({ configFile: here + 'svelte.config.js' })],
  build: {
    outDir: here + 'dist-renderer',
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
});
