// The part of a `ws` WebSocket that the server's channels use, declared here so that the published
// types of `mmdagent-ex-remote/server` need no @types/ws (issue 14: strict apps with skipLibCheck
// off failed with TS7016). The server hands its channels `ws` sockets, which satisfy it.
import type { Buffer } from 'node:buffer';

/** A frame as `ws` hands it to a 'message' listener: one Buffer, an ArrayBuffer or fragments. */
export type RawData = Buffer | ArrayBuffer | Buffer[];

/** A server-side WebSocket as `ws` provides it (only what the channels call). */
export interface WebSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | ArrayBuffer | ArrayBufferView, options: { binary: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'pong', listener: (data: Buffer) => void): this;
  addEventListener(type: 'message' | 'close' | 'error' | 'open', listener: (event: any) => void): void;
  removeEventListener(type: 'message' | 'close' | 'error' | 'open', listener: (event: any) => void): void;
}
