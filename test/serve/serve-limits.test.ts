// A query whose client goes away is cancelled (the engine stops reading), and the query slots
// bound how many run and wait (429 beyond), over real HTTP on an index whose full answer (~16 MB)
// is far larger than what socket buffers hold.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/serve/start-server.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  auditLines,
  fillerCalls,
  get,
  indexLines,
  q,
  serveForTest,
  TOKEN,
} from "./serve-fixture.js";

const tempDir = tempDirs("bg-serve-limits-");
const CALLS = 4000;
const PAD_BYTES = 4000;
const RECORDS = CALLS * 2;
let db: string;

beforeAll(async () => {
  db = tempDir();
  await indexLines(db, tempDir(), "big.log", auditLines(fillerCalls(CALLS), undefined, PAD_BYTES));
}, 120_000);

interface ServerState {
  records: number;
  queries: {
    running: number;
    waiting: number;
    served: number;
    cancelled: number;
    rowsPulled: number;
  };
}

async function state(server: RunningServer): Promise<ServerState> {
  return (await (await get(server, "/api/v1/server")).json()) as ServerState;
}

async function until(
  server: RunningServer,
  done: (s: ServerState) => boolean,
): Promise<ServerState> {
  for (let i = 0; i < 200; i++) {
    const s = await state(server);
    if (done(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server did not get there: ${JSON.stringify(await state(server))}`);
}

/** Starts the whole-index query and resolves with the request once the response has begun. */
function startBigQuery(
  server: RunningServer,
): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  const url = new URL(q("*", "&limit=100000"), server.url);
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { authorization: `Bearer ${TOKEN}` },
      },
      (res) => resolve({ req, res }),
    );
    req.on("error", (e) => {
      if ((e as NodeJS.ErrnoException).code !== "ECONNRESET") reject(e);
    });
  });
}

describe("a query whose client goes away", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serveForTest(db);
  });
  afterAll(async () => server?.close());

  it("is cancelled: the engine stops reading long before the end", async () => {
    expect((await state(server)).records).toBe(RECORDS);
    const { req, res } = await startBigQuery(server);
    await new Promise<void>((resolve) => res.once("data", () => resolve()));
    req.destroy();
    const after = await until(server, (s) => s.queries.running === 0 && s.queries.served >= 1);
    expect(after.queries.cancelled).toBe(1);
    expect(after.queries.rowsPulled).toBeGreaterThan(0);
    expect(after.queries.rowsPulled).toBeLessThan(RECORDS / 2);
    // and it stays stopped
    await new Promise((r) => setTimeout(r, 300));
    expect((await state(server)).queries.rowsPulled).toBe(after.queries.rowsPulled);
  });
});

describe("query slots", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serveForTest(db, { maxRunningQueries: 1, maxWaitingQueries: 1 });
  });
  afterAll(async () => server?.close());

  it("refuses a query beyond the running and waiting ones with 429 and a message, then recovers", async () => {
    const first = await startBigQuery(server);
    first.res.pause(); // holds its slot: the server waits for the client to read
    const waiting = get(server, q("* | count"));
    await until(server, (s) => s.queries.waiting === 1);
    const refused = await get(server, q("* | count"));
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /too many queries/,
    );
    first.req.destroy();
    const answered = await waiting;
    expect(answered.status).toBe(200);
    expect((await answered.text()).split("\n")[0]).toBe(`{"count":${RECORDS}}`);
    await until(server, (s) => s.queries.running === 0);
    expect((await get(server, q("* | count"))).status).toBe(200);
  });
});
