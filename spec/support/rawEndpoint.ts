import { once } from 'node:events';
import WebSocket from 'ws';
import { FRAME_MAX_BYTES } from '../../lib/protocol/endpointChannel.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A raw endpoint connection that records every message and every frame's size. */
export class RawEndpoint {
  readonly messages: any[] = [];
  readonly frameSizes: number[] = [];
  readonly closed: Promise<unknown>;
  private constructor(readonly socket: WebSocket) {
    socket.on('error', () => {});
    socket.on('message', (data) => {
      const text = String(data);
      this.frameSizes.push(Buffer.byteLength(text));
      for (const message of JSON.parse(text) as any[]) this.messages.push(message);
    });
    this.closed = once(socket, 'close');
  }

  static async open(url: string, endpointId: string, secret: string): Promise<RawEndpoint> {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws/v2/endpoints/${endpointId}`, { headers: { authorization: `Bearer ${secret}` }, maxPayload: FRAME_MAX_BYTES });
    const raw = new RawEndpoint(socket);
    await once(socket, 'open');
    return raw;
  }

  tasks(): any[] {
    return this.messages.filter((m) => m.type === 'task');
  }

  send(messages: unknown[]): void {
    this.socket.send(JSON.stringify(messages));
  }

  async close(): Promise<void> {
    this.socket.terminate();
    await this.closed;
  }
}

