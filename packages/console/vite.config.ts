import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The control plane serves dist/ at "/"; every asset is bundled, nothing loads from a CDN.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
});
