import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PING_SLICE_MS, StaggeredPingTransport } from './transport.ts';

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
