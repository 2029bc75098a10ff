// writeOutput prints stage items in every format: ndjson keeps the original bytes, json parses
// back, csv quotes per RFC 4180, plain prints what shell pipelines expect, table aligns, a
// timeline draws a histogram to width; it honours backpressure, streams, and stops on errors.
import { Writable } from "node:stream";
import { describe, expect, it, test } from "vitest";
import { parseQuery } from "../../src/query/parse-query.js";
import { runStages } from "../../src/query/run-stages.js";
import type { MatchedRecord } from "../../src/query/matched-record.js";
import type { StageOutput } from "../../src/query/stage-output.js";
import { defaultFormat, type OutputFormat } from "../../src/output/output-format.js";
import { FLUSH_BYTES } from "../../src/output/output-sink.js";
import { writeOutput } from "../../src/output/write-output.js";
import { LOG_LINES, contextOf, matchedRecords, stream } from "../query/matched-records.js";

/** A Writable that keeps every byte. */
function memoryOut(): Writable & { bytes(): Buffer; text(): string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  }) as Writable & { bytes(): Buffer; text(): string };
  w.bytes = () => Buffer.concat(chunks);
  w.text = () => Buffer.concat(chunks).toString("utf8");
  return w;
}

// Odd but valid lines: spacing, escapes, key order, non-ASCII; output must keep every byte.
const ODD_LINES = [
  '{"type":"request","time":"2026-01-01T00:00:00Z","request":{"id":"a","path":"secret/é","remote_address":"10.0.0.1"}}',
  '{ "time" : "2026-01-01T00:00:01Z" , "type":"response","request":{"path":"secret/\\u00e9","id":"a","remote_address":"10.0.0.1"},"response":{"secret":{"lease_id":"x/1"}}}',
  '{"request":{"remote_address":"::1","path":"a,b \\"c\\"\\nd","id":"b"},"type":"request","time":"2026-01-01T00:00:02.123456789+02:00"}',
];

const records = matchedRecords(LOG_LINES);
const ctx = contextOf(records);

async function print(
  pipeline: string,
  format: OutputFormat,
  input: readonly MatchedRecord[] = records,
  width?: number,
): Promise<{ out: string; bytes: Buffer; emitted: number }> {
  const out = memoryOut();
  const stages = pipeline ? parseQuery(`* | ${pipeline}`).stages : [];
  const { emitted } = await writeOutput(
    runStages(stream(input), stages, ctx),
    format,
    out,
    width === undefined ? {} : { width },
  );
  return { out: out.text(), bytes: out.bytes(), emitted };
}

describe("ndjson", () => {
  it("prints records byte for byte, one a line", async () => {
    const odd = matchedRecords(ODD_LINES);
    const { bytes, emitted } = await print("", "ndjson", odd);
    expect(bytes.equals(Buffer.from(ODD_LINES.map((l) => l + "\n").join(""), "utf8"))).toBe(true);
    expect(emitted).toBe(3);
  });

  it("prints count by rows keyed by the field name", async () => {
    const { out } = await print("count by op", "ndjson");
    expect(out).toBe('{"op":"read","count":10}\n{"op":"update","count":2}\n');
  });

  it.each([
    ["leases | limit 1", '{"lease":"database/creds/app/L1","namespace":"team-a/"}\n'],
    ["count", `{"count":${LOG_LINES.length}}\n`],
    ["distinct type | limit 2", '{"type":"request"}\n{"type":"response"}\n'],
    [
      "fields op, response.data.ttl | limit 2",
      '{"op":"read","response.data.ttl":null}\n{"op":"read","response.data.ttl":3600}\n',
    ],
    ["top 1 policy", `{"policy":"default","count":${LOG_LINES.length}}\n`],
  ])("%s", async (pipeline, expected) => {
    expect((await print(pipeline, "ndjson")).out).toBe(expected);
  });

  it("embeds both original lines of a pair", async () => {
    const { out } = await print("pair | limit 1", "ndjson");
    expect(out).toBe(`{"request":${LOG_LINES[0]},"response":${LOG_LINES[1]}}\n`);
    expect(JSON.parse(out)).toEqual({
      request: JSON.parse(LOG_LINES[0]!),
      response: JSON.parse(LOG_LINES[1]!),
    });
  });
});

describe("json", () => {
  it("is one array that parses back to the entries", async () => {
    const odd = matchedRecords(ODD_LINES);
    const { out } = await print("", "json", odd);
    expect(JSON.parse(out)).toEqual(ODD_LINES.map((l) => JSON.parse(l)));
    expect(out).toContain(ODD_LINES[1]); // embedded byte for byte
  });

  it("is [] when nothing matched", async () => {
    const { out, emitted } = await print("", "json", []);
    expect(out).toBe("[]\n");
    expect(emitted).toBe(0);
  });

  it("prints rows as objects", async () => {
    const { out } = await print("fields time, ip | limit 2", "json");
    expect(JSON.parse(out)).toEqual([
      { time: "2026-01-01T00:00:00Z", ip: "10.0.0.5" },
      { time: "2026-01-01T00:00:00.5Z", ip: "10.0.0.5" },
    ]);
  });
});

describe("plain", () => {
  it.each([
    ["leases", "database/creds/app/L1\ndatabase/creds/app/L2\ndatabase/creds/app/L3\n"],
    ["count", `${LOG_LINES.length}\n`],
    ["count by op", "read\t10\nupdate\t2\n"],
    ["top 2 path", "database/creds/app\t5\nsecret/app1\t3\n"],
    ["distinct ip | limit 3", "10.0.0.5\n2001:db8::1\n10.0.0.2\n"],
    ["fields op, ip | limit 1", "read\t10.0.0.5\n"],
  ])("%s", async (pipeline, expected) => {
    expect((await print(pipeline, "plain")).out).toBe(expected);
  });

  it("draws a timeline as a histogram scaled to the width", async () => {
    const { out } = await print("timeline 5m", "plain", records, 60);
    const lines = out.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(60);
    const counts = lines.map((l) => Number(l.trim().split(/\s+/).pop()));
    const bars = lines.map((l) => (l.split("│")[1] ?? "").replace(/[\s\d]+$/, ""));
    const max = Math.max(...counts);
    const longest = bars[counts.indexOf(max)]!;
    for (let i = 0; i < lines.length; i++) {
      if (counts[i] === 0) expect(bars[i]).toBe("");
      else expect(bars[i]!.length).toBeLessThanOrEqual(longest.length);
    }
    expect(longest).toMatch(/^█+$/);
  });
});

/** A small RFC 4180 reader, to check that what we write reads back. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
}

describe("csv", () => {
  it("quotes commas, quotes and newlines (RFC 4180) and reads back", async () => {
    const odd = matchedRecords(ODD_LINES);
    const { out } = await print("fields path, ip", "csv", odd);
    expect(out).toBe('path,ip\r\nsecret/é,10.0.0.1\r\nsecret/é,10.0.0.1\r\n"a,b ""c""\nd",::1\r\n');
    expect(readCsv(out)).toEqual([
      ["path", "ip"],
      ["secret/é", "10.0.0.1"],
      ["secret/é", "10.0.0.1"],
      ['a,b "c"\nd', "::1"],
    ]);
  });

  it("prints records as summary columns", async () => {
    const rows = readCsv((await print("limit 2", "csv")).out);
    expect(rows[0]).toEqual(["time", "type", "op", "path", "ip", "display_name", "error"]);
    expect(rows[1]).toEqual([
      "2026-01-01T00:00:00Z",
      "request",
      "read",
      "database/creds/app",
      "10.0.0.5",
      "approle",
      "",
    ]);
  });

  it("prints count by as value,count", async () => {
    expect((await print("count by op", "csv")).out).toBe("op,count\r\nread,10\r\nupdate,2\r\n");
  });
});

describe("table", () => {
  it("aligns columns and right-aligns counts", async () => {
    const { out } = await print("count by path", "table");
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^path\s+count$/);
    const countEnd = lines[0]!.length;
    for (const l of lines) expect(l.length).toBe(countEnd);
  });

  it("shrinks to the width with an ellipsis", async () => {
    const { out } = await print("limit 3", "table", records, 70);
    for (const l of out.trimEnd().split("\n")) expect(l.length).toBeLessThanOrEqual(70);
    expect(out).toContain("…");
  });

  it("starts every column at the same position on every line", async () => {
    const { out } = await print("fields path, ip, op", "table");
    const lines = out.trimEnd().split("\n");
    const ipAt = lines[0]!.indexOf("ip");
    for (const l of lines.slice(1)) expect(l[ipAt - 1]).toBe(" ");
  });
});

describe("defaultFormat", () => {
  test.each<[string, OutputFormat | undefined, OutputFormat]>([
    ["*", undefined, "ndjson"],
    ["* | leases", undefined, "plain"],
    ["* | distinct ip", undefined, "plain"],
    ["* | count", undefined, "plain"],
    ["* | count by path", undefined, "plain"],
    ["* | top 3 path | limit 1", undefined, "plain"],
    ["* | timeline", undefined, "plain"],
    ["* | fields path", undefined, "ndjson"],
    ["* | pair", undefined, "ndjson"],
    ["* | sort time | limit 3", undefined, "ndjson"],
    ["* | leases", "ndjson", "ndjson"],
    ["* | count by path", "json", "json"],
  ])("%s (--format %s) → %s", (query, explicit, expected) => {
    expect(defaultFormat(parseQuery(query).stages, explicit)).toBe(expected);
  });
});

describe("emitted (for -e)", () => {
  it("counts result items, and a count by its value", async () => {
    expect((await print("leases", "plain")).emitted).toBe(3);
    expect((await print("count", "plain")).emitted).toBe(LOG_LINES.length);
    expect((await print("count", "plain", [])).emitted).toBe(0);
    expect((await print("count", "plain", [])).out).toBe("0\n");
  });
});

describe("writing to a slow Writable", () => {
  const many = matchedRecords(
    Array.from({ length: 20_000 }, (_, i) => LOG_LINES[i % LOG_LINES.length]!),
  );

  it("waits for drain instead of buffering everything", async () => {
    let received = 0;
    let maxBuffered = 0;
    const slow = new Writable({
      highWaterMark: 16 << 10,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        maxBuffered = Math.max(maxBuffered, slow.writableLength);
        setTimeout(cb, 1);
      },
    });
    const { emitted } = await writeOutput(runStages(stream(many), [], ctx), "ndjson", slow);
    const expectedBytes = many.reduce((n, r) => n + r.line.length + 1, 0);
    await new Promise<void>((resolve) =>
      slow.writableLength === 0 ? resolve() : slow.once("drain", resolve),
    );
    expect(emitted).toBe(many.length);
    expect(received).toBe(expectedBytes);
    expect(maxBuffered).toBeLessThan(2 * FLUSH_BYTES + (16 << 10));
  });

  it("streams: the first line is written before the last item exists", async () => {
    const out = memoryOut();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* source(): AsyncIterable<StageOutput> {
      yield { kind: "record", record: records[0]! };
      await gate;
      yield { kind: "record", record: records[1]! };
    }
    const done = writeOutput(source(), "ndjson", out);
    await new Promise((r) => setTimeout(r, 20));
    expect(out.text()).toBe(LOG_LINES[0] + "\n");
    release();
    await done;
    expect(out.text()).toBe(LOG_LINES[0] + "\n" + LOG_LINES[1] + "\n");
  });

  it("rejects with the stream's error (EPIPE) and closes the source", async () => {
    let closed = false;
    async function* source(): AsyncIterable<StageOutput> {
      try {
        for (const r of many) yield { kind: "record", record: r };
      } finally {
        closed = true;
      }
    }
    const broken = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, cb) {
        const e = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
        setImmediate(() => cb(e));
      },
    });
    await expect(writeOutput(source(), "ndjson", broken)).rejects.toThrow("EPIPE");
    expect(closed).toBe(true);
  });
});
