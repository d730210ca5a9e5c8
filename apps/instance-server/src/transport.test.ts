import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import type { Client } from '@colyseus/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { corkUntilNextTick, PING_SLICE_MS, StaggeredPingTransport } from './transport.ts';

/** A socket as the transport's liveness loop sees it; `answers` says whether it pongs (which zeroes pingCount). */
class FakeSocket {
  pingCount = 0;
  pings = 0;
  terminated = false;
  readonly clients: Set<FakeSocket>;
  answers: boolean;
  constructor(clients: Set<FakeSocket>, answers = true) {
    this.clients = clients;
    this.answers = answers;
  }
  ping(): void {
    this.pings++;
    if (this.answers) this.pingCount = 0;
  }
  terminate(): void {
    this.terminated = true;
    this.clients.delete(this);
  }
}

/** The transport without an HTTP server (so it starts no pinging itself), its client set reachable. */
class Probe extends StaggeredPingTransport {
  get clients(): Set<FakeSocket> {
    return this.wss.clients as unknown as Set<FakeSocket>;
  }
  start(intervalMs: number, maxRetries: number): void {
    this.autoTerminateUnresponsiveClients(intervalMs, maxRetries);
  }
  stop(): void {
    clearInterval(this.pingInterval);
  }
}

describe('staggered liveness pings', () => {
  let transport: Probe;
  beforeEach(() => {
    vi.useFakeTimers();
    transport = new Probe({ noServer: true });
  });
  afterEach(() => {
    transport.stop();
    vi.useRealTimers();
  });

  const add = (n: number, answers = true) =>
    Array.from({ length: n }, () => {
      const socket = new FakeSocket(transport.clients, answers);
      transport.clients.add(socket);
      return socket;
    });

  it('pings a slice per tick, never all clients in one turn, and each client once per interval', () => {
    const sockets = add(1000);
    transport.start(5000, 3);
    const slices = 5000 / PING_SLICE_MS;
    let before = 0;
    for (let tick = 1; tick <= slices; tick++) {
      vi.advanceTimersByTime(PING_SLICE_MS);
      const total = sockets.reduce((n, s) => n + s.pings, 0);
      expect(total - before).toBe(1000 / slices);
      before = total;
    }
    expect(sockets.every((s) => s.pings === 1)).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(sockets.every((s) => s.pings === 2)).toBe(true);
    expect(sockets.some((s) => s.terminated)).toBe(false);
  });

  it('terminates a client that missed maxRetries pongs in a row, and only it', () => {
    const live = add(40);
    const [dead] = add(1, false) as [FakeSocket];
    transport.start(1000, 2);
    // Two unanswered pings (2 intervals), then the third visit terminates it.
    vi.advanceTimersByTime(2000);
    expect(dead.pings).toBe(2);
    expect(dead.terminated).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(dead.terminated).toBe(true);
    expect(transport.clients.has(dead)).toBe(false);
    expect(live.some((s) => s.terminated)).toBe(false);
  });

  it('clients that join during a round are pinged in it; clients that left are not', () => {
    const first = add(20);
    transport.start(1000, 3);
    vi.advanceTimersByTime(500);
    const gone = first.filter((s) => s.pings === 0);
    expect(gone.length).toBeGreaterThan(0);
    for (const s of gone) transport.clients.delete(s);
    const joined = add(10);
    vi.advanceTimersByTime(500);
    expect(gone.every((s) => s.pings === 0)).toBe(true);
    expect(joined.every((s) => s.pings === 1)).toBe(true);
    expect(first.filter((s) => !gone.includes(s)).every((s) => s.pings === 1)).toBe(true);
  });
});

describe('corkUntilNextTick', () => {
  /** A real ws server and a client; `writes` counts the write calls on the server's TCP socket. */
  async function connected() {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const { port } = wss.address() as AddressInfo;
    const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
    const client = new globalThis.WebSocket(`ws://127.0.0.1:${port}`);
    client.binaryType = 'arraybuffer';
    const received: string[] = [];
    client.addEventListener('message', (event) => received.push(new TextDecoder().decode(event.data as ArrayBuffer)));
    await new Promise((resolve) => client.addEventListener('open', resolve, { once: true }));
    const [ws] = await accepted;
    const socket = (ws as unknown as { _socket: Socket & { _write: Socket['_write']; _writev: Socket['_writev'] } })._socket;
    const counter = { writes: 0 };
    const write = socket._write.bind(socket);
    const writev = (socket._writev as NonNullable<Socket['_writev']>).bind(socket);
    socket._write = (...args) => {
      counter.writes++;
      return write(...args);
    };
    socket._writev = (...args) => {
      counter.writes++;
      return writev(...args);
    };
    return {
      ws,
      roomClient: { ref: ws } as unknown as Client,
      counter,
      received,
      async close() {
        client.close();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      },
    };
  }
  const settled = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('sends what a room sends now and in the promise reactions behind it in one write, in order', async () => {
    const c = await connected();
    try {
      // As in a battle intent: the patch and events now, the request's answer a few promise reactions later.
      await Promise.resolve();
      corkUntilNextTick([c.roomClient, null]);
      c.ws.send(Buffer.from('patch'));
      c.ws.send(Buffer.from('events'));
      void Promise.resolve()
        .then(() => undefined)
        .then(() => c.ws.send(Buffer.from('answer')));
      expect(c.counter.writes).toBe(0);
      await settled();
      expect(c.counter.writes).toBe(1);
      expect(c.received).toEqual(['patch', 'events', 'answer']);

      // Without it, each message is a write of its own (what the count above is measured against).
      c.ws.send(Buffer.from('a'));
      c.ws.send(Buffer.from('b'));
      c.ws.send(Buffer.from('c'));
      await settled();
      expect(c.counter.writes).toBe(4);
      expect(c.received.slice(3)).toEqual(['a', 'b', 'c']);
    } finally {
      await c.close();
    }
  });

  it('skips a client whose socket is gone, and corks the others', async () => {
    const c = await connected();
    try {
      const closed = { ref: { _socket: { destroyed: true, cork: () => expect.fail('corked a closed socket') } } } as unknown as Client;
      corkUntilNextTick([closed, { ref: {} } as unknown as Client, c.roomClient]);
      c.ws.send(Buffer.from('one'));
      c.ws.send(Buffer.from('two'));
      await settled();
      expect(c.counter.writes).toBe(1);
      expect(c.received).toEqual(['one', 'two']);
    } finally {
      await c.close();
    }
  });
});
