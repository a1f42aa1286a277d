// Core entry (browser and Node): pure codecs and the session class. Nothing here may import `ws`
// or a Node built-in; Node code lives under src/node/ and is reached through `./server`.
export * from './errors.js';
export * from './limits.js';
export * from './line.js';
export * from './message.js';
export * from './catalog/index.js';
export * from './stream-parser.js';
export * from './audio.js';
export * from './avatar.js';
export * from './link.js';
export * from './mdf/index.js';
