/**
 * The WebSocket transport with its liveness pings spread over the ping interval.
 *
 * Why: Colyseus' transport pings every client of the process in one loop each interval. At 3,000 players (6,000
 * sockets: hub + battle) that loop held the event loop for 100-120 ms every 5 s (a CPU profile of the load test,
 * bench/load.ts), and every message that arrived meanwhile waited: it alone put the round-trip p99 over 50 ms.
 * Here a timer every {@link PING_SLICE_MS} pings the next share of the clients, so each client is still pinged once
 * per interval, and one that missed `maxRetries` pongs in a row is still terminated (its room sees it leave), but
 * no single turn of the event loop pings more than a slice.
 */
import type { Client } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';

/** How often a slice of the clients is pinged (ms). */
export const PING_SLICE_MS = 100;

/** What of a `ws` socket this uses (the transport sets `pingCount` on each and zeroes it on every pong). */
interface PingedSocket {
  pingCount: number;
  ping(callback: () => void): void;
  terminate(): void;
}

const noop = () => undefined;

export class StaggeredPingTransport extends WebSocketTransport {
  /** Called by the base class once its HTTP server listens (only when pinging is on); `pingInterval` is cleared on close. */
  protected override autoTerminateUnresponsiveClients(pingInterval: number, maxRetries: number): void {
    const slices = Math.max(1, Math.round(pingInterval / PING_SLICE_MS));
    const clients = this.wss.clients as unknown as Set<PingedSocket>;
    // A Set iterator is live: clients that left are skipped, clients that joined come in this round.
    let cursor = clients.values();
    this.pingInterval = setInterval(() => {
      let share = Math.ceil(clients.size / slices);
      let wrapped = false;
      while (share > 0) {
        const next = cursor.next();
        if (next.done) {
          // A round ends; the next starts at most once per slice (never pings a client twice in one slice).
          cursor = clients.values();
          if (wrapped) return;
          wrapped = true;
          continue;
        }
        share--;
        const client = next.value;
        if (client.pingCount >= maxRetries) {
          client.terminate();
          continue;
        }
        client.pingCount++;
        client.ping(noop);
      }
    }, pingInterval / slices);
  }
}

/** What of a client's TCP socket {@link corkUntilNextTick} uses. */
interface Corkable {
  destroyed: boolean;
  cork(): void;
  uncork(): void;
}

/**
 * Holds everything sent to these clients until the current run of callbacks and promise reactions ends, then sends
 * each client's messages in one write.
 *
 * Why: every WebSocket message is one write system call, and on loopback each write also does the receiver's TCP
 * work; in a CPU profile of the load test at 3,000 clients, writes were the largest single cost of the server
 * (a fifth of its CPU). A battle intent sends a patch and the events to both players and the answer to the sender:
 * five writes, two once corked. Nothing waits for a timer: the writes go out on `process.nextTick`, which Node runs
 * once the promise reactions queued now (the answer of the request being handled is one of them) have run.
 *
 * The socket is `ws`'s `_socket` (not public API; a client without one, or a closed one, is skipped: its messages go
 * as before).
 */
export function corkUntilNextTick(clients: Iterable<Client | null | undefined>): void {
  const corked: Corkable[] = [];
  for (const client of clients) {
    const socket = (client?.ref as { _socket?: Corkable } | undefined)?._socket;
    if (!socket || socket.destroyed) continue;
    socket.cork();
    corked.push(socket);
  }
  if (corked.length > 0) process.nextTick(uncorkAll, corked);
}

function uncorkAll(sockets: readonly Corkable[]): void {
  for (const socket of sockets) socket.uncork();
}
