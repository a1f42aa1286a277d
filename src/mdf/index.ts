// .mdf files (mdf.md): lossless document, %ENV{} expansion, merging, WebSocket settings, and
// the schema + lint, which tree-shake away when only the document is used.
export * from './document.js';
export * from './env.js';
export * from './values.js';
export * from './websocket.js';
export * from './schema.js';
export * from './lint.js';
export * from './notes.js';
