// What the simulated MMDAgent-EX sends (wire.md §5): one masked text frame per message,
// `\n`-terminated, cut at 2047 bytes without `\n` (§5.1), written only when the network thread's
// 10 ms select() times out, i.e. after 10 ms without an incoming frame (§5.4).
import type { Socket } from 'node:net';
import { MAX_AGENT_MESSAGE_BYTES } from '../../limits.js';
import { OPCODE_TEXT, encodeClientFrame } from './wire.js';

export class Outbox {
  /** performance.now() of the last incoming frame. */
  lastFrameAt = -Infinity;
  private queue: Buffer[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly socket: Socket,
    /** The flush gap in wall-clock ms (scaled). */
    private readonly gapMs: number,
    /** False while nothing may be written (the connection is gone or the thread hung). */
    private readonly open: () => boolean,
    private readonly onSent: (text: string) => void,
  ) {}

  push(message: string | Uint8Array): void {
    const body =
      typeof message === 'string'
        ? Buffer.from(message)
        : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    this.queue.push(
      body.length >= MAX_AGENT_MESSAGE_BYTES
        ? body.subarray(0, MAX_AGENT_MESSAGE_BYTES)
        : Buffer.concat([body, Buffer.of(0x0a)]),
    );
    if (this.timer === undefined) this.schedule();
  }

  /** Nothing queued is written any more (the connection is gone or the thread hung). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * A sustained stream starves the flush with no bound but the stream's end (hazards.md (p): the
   * 1.08 s seen there ended at a gap in the sender's own timeline).
   */
  private schedule(): void {
    const due = this.lastFrameAt + this.gapMs;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (!this.open()) return;
        if (performance.now() - this.lastFrameAt < this.gapMs) return this.schedule();
        const frames = this.queue;
        this.queue = [];
        for (const payload of frames) {
          this.socket.write(encodeClientFrame(OPCODE_TEXT, payload));
          this.onSent(payload.toString('utf8'));
        }
      },
      Math.max(0, due - performance.now()),
    );
  }
}
