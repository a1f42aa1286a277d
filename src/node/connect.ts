// connect() for Node: the same client as the core's, with isomorphic-ws (that is, `ws`) as the
// default socket class, since Node 20 has no global WebSocket. It is the `connect` of the package's
// node entry (src/node/index.ts) and of `./server`; the browser core never imports `ws`.
import WebSocket from 'isomorphic-ws';
import { connect as connectWith, type AgentLink, type ConnectOptions } from '../link.js';

/** Opens a client AgentLink to `url`; see the core connect() for options and errors. */
export function connect(url: string, opts: ConnectOptions = {}): Promise<AgentLink> {
  return connectWith(url, { ...opts, WebSocket: opts.WebSocket ?? WebSocket });
}
