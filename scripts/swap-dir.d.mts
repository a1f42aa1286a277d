// Types for swap-dir.mjs (a plain script, so that `npm run build` needs no TypeScript loader).
export function swapDir(from: string, to: string, parking: string, warn?: (message: string) => void): void;
