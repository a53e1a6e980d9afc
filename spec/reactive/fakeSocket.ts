import { asyncScheduler } from 'rxjs';
import type { WebSocketLike } from '../../lib/transport/rxjsWebsockets.js';

/** A log line: when (virtual frame) and what happened to which socket. */
export interface SocketEvent {
  readonly frame: number;
  readonly socket: number;
  readonly event: string;
}

/**
 * An in-memory socket for virtual-time tests: it opens one frame after it is made (on the
 * scheduler TestScheduler.run patches) and records everything into a shared log.
 */
export class FakeSocket implements WebSocketLike {
  static made: FakeSocket[] = [];
  static log: SocketEvent[] = [];
  readonly id: number;
  readonly sent: string[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(openAfter = 1) {
    this.id = FakeSocket.made.length;
    FakeSocket.made.push(this);
    asyncScheduler.schedule(() => {
      if (this.closed) return;
      this.#record('open');
      this.onopen?.({});
    }, openAfter);
  }

  static reset(): void {
    FakeSocket.made = [];
    FakeSocket.log = [];
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#record('close');
  }

  /** The server side drops the connection (1006). */
  drop(): void {
    this.closed = true;
    this.#record('dropped');
    this.onclose?.({ code: 1006, reason: 'abnormal' });
  }

  /** The server side sends a frame. */
  receive(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  #record(event: string): void {
    FakeSocket.log.push({ frame: asyncScheduler.now(), socket: this.id, event });
  }
}
