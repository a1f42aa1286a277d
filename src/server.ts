// The `./server` entry (Node only): the WebSocket server with its relay and playground, and the
// Node-side helpers that use `ws`. Browsers import the core entry (`mmdagent-ex-remote`) instead.
export * from './node/server/server.js';
// Named, so it wins over the core's connect() should this entry ever re-export the core.
export { connect } from './node/connect.js';
export * from './node/sim/sim.js';
export * from './node/tcp/index.js';
// Named, so it wins over sim.js's: the same startSim, which also takes the TCP transports.
export { startSim } from './node/sim/tcp.js';
export type { SimTransport, TcpSim, TcpSimOptions, WebSocketSimOptions } from './node/sim/tcp.js';
