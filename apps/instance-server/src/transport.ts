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
