// OutputSink's backpressure when the producer is slower than the reader: a batch flushed on the
// next turn of the event loop fills the Writable, the reader drains it before the next result is
// ready, and the next write must not wait for a `drain` that has already come (it would wait
// forever: a results stream from ClickHouse, whose rows arrive between network reads, hung so).
import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { OutputSink } from "../../src/output/output-sink.js";

/** A Writable with a small buffer whose writes complete on a later turn, as a socket's do. */
function slowOut(): Writable & { text(): string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      setTimeout(cb, 5);
    },
  }) as Writable & { text(): string };
  w.text = () => Buffer.concat(chunks).toString("utf8");
  return w;
}

const HUNG = Symbol("hung");

/** `p`, or HUNG if it has not settled once `out` has been idle for a while. */
function unlessHung<T>(p: Promise<T>): Promise<T | typeof HUNG> {
  return Promise.race([p, new Promise<typeof HUNG>((r) => setTimeout(() => r(HUNG), 2000))]);
}

it("a write after the Writable drained on its own goes through", async () => {
  const out = slowOut();
  const sink = new OutputSink(out);
  await sink.write("first result, longer than the buffer\n"); // flushed on the next turn
  await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  expect(await unlessHung(sink.write("second result\n"))).not.toBe(HUNG);
  expect(await unlessHung(sink.flush())).not.toBe(HUNG);
  sink.close();
  expect(out.text()).toBe("first result, longer than the buffer\nsecond result\n");
});

it("waits for drain when the buffer is full, and fails with the Writable's error", async () => {
  const out = slowOut();
  const sink = new OutputSink(out);
  await sink.write("x".repeat(100) + "\n");
  await new Promise((r) => setImmediate(r)); // the batch goes out and fills the buffer
  const waiting = sink.write("y\n");
  out.destroy(new Error("EPIPE"));
  await expect(waiting).rejects.toThrow("EPIPE");
  sink.close();
});

it("a Writable closed while nothing waits (the client went away) fails the next flush instead of hanging", async () => {
  const out = slowOut();
  const sink = new OutputSink(out);
  await sink.write("a result\n");
  await new Promise((r) => setImmediate(r)); // flushed; nobody waits for a drain
  out.destroy(); // an HTTP client gone: `close`, and no `error`
  await new Promise((r) => setImmediate(r));
  const outcome = await unlessHung(
    sink
      .write("x".repeat(100) + "\n")
      .then(
        () => sink.flush(),
        (e: unknown) => Promise.reject(e),
      )
      .then(
        () => "flushed",
        (e: unknown) => (e as Error).message,
      ),
  );
  expect(outcome).not.toBe(HUNG);
  expect(outcome).toMatch(/closed/);
  sink.close();
});
