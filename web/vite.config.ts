// The dashboard's build: `npm run build:web` (run by `npm install` through the `prepare` script)
// writes web/dist, which `tributary serve` serves at /. Everything is bundled: no CDN, no remote
// fonts, no map tiles (the world map is the world-atlas package's TopoJSON).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // echarts-gl (3-D scatter) and the world map are loaded by the pages that use them
    chunkSizeWarningLimit: 2500,
    reportCompressedSize: false,
  },
});
