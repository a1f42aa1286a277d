// The session layer's public surface (re-exported by the core entry through src/link.ts).
export {
  DEFAULTS,
  type AgentLinkOptions,
  type IncomingMessage,
  type LinkCloseEvent,
  type LinkEvents,
  type ReconnectOptions,
  type SendAudioOptions,
  type TypedMessage,
  type Unsubscribe,
  type WaitOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options.js';
export { reconnectDelay } from './reconnect.js';
export { AgentLink } from './agent-link.js';
export { connect, type ConnectOptions } from './connect.js';
