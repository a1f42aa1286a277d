// The session layer lives in src/link/ (one job per file); this path stays for existing imports.
export * from './link/index.js';
