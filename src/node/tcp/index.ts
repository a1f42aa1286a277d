// The TCP transports of Plugin_Remote (wire.md §14), for the `./server` entry: connectTcp() to an
// app in TCP server mode, the server's `tcp` / `tcpAgents` option types, and their warning.
export { TCP_DEFAULT_PORT, connectTcp } from './connect-tcp.js';
export type { ConnectTcpOptions } from './connect-tcp.js';
export { REMOTE_EVENT_CONNECTED, REMOTE_EVENT_DISCONNECTED } from './peer-watch.js';
export type { TcpSharedWarning } from './peer-watch.js';
export { TCP_REFUSED_STATUS } from './server-tcp.js';
export type { TcpAgentOptions, TcpListenOptions } from './server-tcp.js';
