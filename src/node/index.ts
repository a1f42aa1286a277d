// `mmdagent-ex-remote` under the `node` condition (package.json `exports`): the core entry with a
// connect() whose default WebSocket class is `ws` (through isomorphic-ws), since Node 20 has no
// global WebSocket. Browsers, Deno and Bun get the core entry itself and their built-in WebSocket.
export * from '../index.js';
// Named, so it wins over the core's connect() that the line above re-exports.
export { connect } from './connect.js';
