/**
 * V8 flags the instance server runs with. Every launcher passes them: the package's `start` script (kept equal by
 * node-flags.test.ts), the stack's start command (scripts/stack/start.ts) and the tests' and load test's child
 * process (test/helpers.ts startChild). V8 reads them when the process starts; they cannot be set from inside.
 *
 * `--max-semi-space-size=8` (MB): a young generation of 8 MB semi-spaces instead of V8's default for this heap. The
 * battle rooms keep each match's latest state alive until the next intent (1-3 s), so a large young generation
 * holds thousands of rooms' states at every scavenge and copies them all: at 3,000 clients the default gave ~25
 * scavenges of 27-45 ms in 30 s, each one a pause of every room. With 8 MB: ~170 scavenges of 8-12 ms, more GC time
 * in all (~1.5 s against ~1 s in 30 s) but short pauses; the event-loop delay p99 went from 25-45 ms to 22-34 ms and
 * the round-trip p99 of the 3,000-client steps from a median of 219 ms (9 steps) to 81 ms (10 steps), in separate
 * runs of bench/load.ts (apps/instance-server/README).
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
