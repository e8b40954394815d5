// Builds the React window (src/renderer) into dist/renderer. The same files are loaded by Electron
// from file:// and served by the headless bridge over http://127.0.0.1, so every URL in the built
// page is relative (base './') and nothing is inlined into the HTML: the page's CSP allows scripts
// and styles from 'self' only.

import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./src/renderer', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/renderer', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  // No public folder: the favicon is a data: URL in index.html, everything else is imported.
  publicDir: false,
  build: {
    outDir,
    emptyOutDir: true,
    // The CSP forbids inline scripts; assets stay files so the CSP's 'self' covers them.
    assetsInlineLimit: 0,
    // Vite's default target (widely available browsers): the headless UI may be opened in any
    // current browser, not only Electron's Chromium.
    sourcemap: true,
    reportCompressedSize: false,
  },
});
