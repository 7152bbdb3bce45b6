// Builds the PWA: Vite root is client/, output client/dist (served by the sync server).
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const root = fileURLToPath(new URL('./client', import.meta.url));

export default defineConfig({
  root,
  publicDir: 'public',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: {
    // `npm run dev:client` against a server started with `npm start` on the default port.
    proxy: { '/api': 'http://127.0.0.1:4321', '/sync': { target: 'ws://127.0.0.1:4321', ws: true } },
  },
  plugins: [
    preact(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['favicon.svg', 'apple-touch-icon.png'],
      manifest: {
        name: 'OpenViber Environments',
        short_name: 'OpenViber',
        description: 'Environments and tasks on your own machines, local-first and end-to-end encrypted.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#0f1115',
        theme_color: '#4f46e5',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The whole app shell, libsodium's lazy chunk included, so it opens and seals offline.
        globPatterns: ['**/*.{js,css,html,svg,png,wasm,webmanifest}'],
        maximumFileSizeToCacheInBytes: 5 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/sync/],
        clientsClaim: true,
        cleanupOutdatedCaches: true,
      },
    }),
  ],
});
