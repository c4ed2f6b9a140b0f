import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The API the dev server forwards to (`make web` runs Vite against `make run`).
const api = process.env.VITRINE_API ?? 'http://127.0.0.1:8080';
// Another manifest than frontend-contract/manifest.json (a contract being built, in tests).
const manifest = process.env.VITRINE_CONTRACT_MANIFEST;

function proxy() {
  return {
    '/graphql': { target: api, ws: true, changeOrigin: true },
    '/files': { target: api, changeOrigin: true },
    '/uploads': { target: api, changeOrigin: true },
  };
}

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: manifest ? [{ find: /^.*frontend-contract\/manifest\.json$/, replacement: manifest }] : [],
  },
  server: {
    port: Number(process.env.VITE_PORT ?? 5173),
    strictPort: false,
    fs: {
      // frontend-contract/manifest.json is imported from outside web/.
      allow: ['..'],
    },
    proxy: proxy(),
  },
  preview: {
    port: Number(process.env.VITE_PORT ?? 4173),
    proxy: proxy(),
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
  },
});
