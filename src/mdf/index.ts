// .mdf files (mdf.md): lossless document, %ENV{} expansion, merging, WebSocket settings, and
// the schema + lint, which tree-shake away when only the document is used. The prose notes
// (notes.ts) are not exported here, so they stay out of the core browser bundle; the CLI's
// `mdf explain` prints them.
export * from './document.js';
export * from './env.js';
export * from './values.js';
export * from './websocket.js';
export * from './schema.js';
export * from './lint.js';
