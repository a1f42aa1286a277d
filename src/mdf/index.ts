// .mdf files (mdf.md): lossless document, %ENV{} expansion, merging, WebSocket settings, and
// the schema + lint, which tree-shake away when only the document is used. The prose notes
// (notes.ts) are not exported here, so they stay out of the core browser bundle; the CLI's
// `mdf explain` prints them. Line-splitting helpers stay internal to the module.
export { MdfDocument, mergeMdf, parseMdf } from './document.js';
export type { MdfDefinition } from './document.js';
export { expandEnv } from './env.js';
export { atof, atoi, mdfBoolean } from './values.js';
export {
  RETRY_COUNT_KEY,
  WS_DIRECTORY_KEY,
  WS_HOST_KEY,
  WS_PORT_KEY,
  setWebsocketSettings,
  websocketSettings,
} from './websocket.js';
export type { WebsocketParts, WebsocketSettings } from './websocket.js';
export {
  TCP_CLIENT_KEY,
  TCP_CLIENT_OLD_KEY,
  TCP_HOSTNAME_KEY,
  TCP_LISTEN_PORT_KEY,
  TCP_PORT_KEY,
  TCP_SERVER_KEY,
  TCP_SERVER_OLD_KEY,
  setTcpSettings,
  tcpSettings,
} from './tcp.js';
export type { TcpParts, TcpSettings } from './tcp.js';
export { MDF_KEYS, mdfKeySpec, mdfSetting } from './schema.js';
export type { MdfKeySpec, MdfValue, MdfValueType } from './schema.js';
export { MDF_DIAGNOSTIC_CODES, lintMdf } from './lint.js';
export type { MdfDiagnostic, MdfDiagnosticCode } from './lint.js';
