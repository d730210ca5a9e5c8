import { Socket } from 'node:net';

/**
 * Runs `run` and counts the socket writes of this process meanwhile (every TCP write goes through `Socket`'s
 * `_write` or `_writev`). A pipelined client's statements sent in one tick leave in one write, so the count is the
 * number of round trips the client waited for. Nothing else of the test process may write during `run`.
 */
export async function countSocketWrites<T>(run: () => Promise<T>): Promise<{ writes: number; value: T }> {
  const socket = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const original = { _write: socket._write, _writev: socket._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    socket[name] = function (this: unknown, ...args: unknown[]) {
      writes++;
      return original[name].apply(this, args);
    };
  }
  try {
    const value = await run();
    return { writes, value };
  } finally {
    Object.assign(socket, original);
  }
}
