/**
 * A process that writes `count` numbered lines to its stdout through the decision log's batched writer,
 * as fast as it can. Run by test/ops/log_lines.test.ts with a reader that stops reading for a while, on a
 * non-blocking pipe, so the writer meets a full pipe (EAGAIN, then partial writes).
 */
import { Socket } from "node:net";
import { batchedWriter } from "../../src/ops/batched_writer.js";

const count = Number(process.argv[2] ?? "0");
// A socket over fd 1 makes libuv set O_NONBLOCK on the pipe (node's own process.stdout keeps a pipe
// blocking on Linux): the state a log shipper's pipe can be in, handed over by a supervisor.
const nonBlocking = new Socket({ fd: 1, readable: false, writable: true });
const writer = batchedWriter(1, { batchChars: 4096, flushIntervalMs: 60_000 });
for (let i = 0; i < count; i++) writer.write(`line ${i} société ${"x".repeat(60)}\n`);
writer.flushSync();
nonBlocking.destroy();
