// Stage items as JSON text, with serializers compiled once per shape by fast-json-stringify
// (a lease, a count, `{"path":"…","count":N}` for `count by path` — the key is the field name,
// a projection row per column list). Records are never re-serialised: their JSON is the original
// line, byte for byte, and a pair embeds the two original lines.
import { recordJson } from "../audit/framing/record-json.js";
import { createRequire } from "node:module";
import { fieldByName } from "../audit/field-catalog.js";
import type { StageOutput } from "../query/stage-output.js";

type Serialize = (doc: object) => string;
type Schema = Record<string, unknown>;

const ANY: Schema = {};
const TEXT_OR_LIST: Schema = {
  anyOf: [{ type: "null" }, { type: "string" }, { type: "array", items: { type: "string" } }],
};

/** Catalog fields hold strings (several: a list); dotted paths hold any JSON. */
function valueSchema(field: string): Schema {
  return fieldByName(field) ? TEXT_OR_LIST : ANY;
}

// Loaded on first use (it brings ajv: ~100 ms of start-up that plain output never needs).
type FastJson = (schema: object) => Serialize;
let fastJson: FastJson | undefined;

function compile(properties: Record<string, Schema>): Serialize {
  fastJson ??= createRequire(import.meta.url)("fast-json-stringify") as FastJson;
  return fastJson({ type: "object", properties });
}

// Compiled on first use: compiling costs ~10 ms, and most runs print only one shape.
const leaseJson = (doc: object): string =>
  cached("lease", () =>
    compile({ lease: { type: "string" }, namespace: { type: ["string", "null"] } }),
  )(doc);
const countJson = (doc: object): string =>
  cached("count", () => compile({ count: { type: "integer" } }))(doc);
const bucketJson = (doc: object): string =>
  cached("bucket", () => compile({ time: { type: "string" }, count: { type: "integer" } }))(doc);

const cache = new Map<string, Serialize>();
function cached(key: string, make: () => Serialize): Serialize {
  let s = cache.get(key);
  if (!s) {
    s = make();
    cache.set(key, s);
  }
  return s;
}

/** The time a bucket starts, RFC 3339 UTC without milliseconds when they are zero. */
export function bucketTime(startMs: number): string {
  return new Date(startMs).toISOString().replace(".000Z", "Z");
}

const NULL = Buffer.from("null");

/** One item as JSON: a Buffer for records and pairs (original bytes), a string otherwise. */
export function itemJson(item: StageOutput): string | Buffer {
  switch (item.kind) {
    case "record":
      return recordJson(item.record.line);
    case "pair":
      return Buffer.concat([
        Buffer.from('{"request":'),
        item.request ? recordJson(item.request.line) : NULL,
        Buffer.from(',"response":'),
        item.response ? recordJson(item.response.line) : NULL,
        Buffer.from("}"),
      ]);
    case "lease":
      return leaseJson(item);
    case "value":
      return cached(`v\u0000${item.field}`, () =>
        compile({ [item.field]: valueSchema(item.field) }),
      )({ [item.field]: item.value });
    case "row": {
      const { columns, values } = item;
      const serialize = cached(`r\u0000${columns.join("\u0000")}`, () =>
        compile(Object.fromEntries(columns.map((c) => [c, valueSchema(c)]))),
      );
      const doc: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) doc[columns[i]!] = values[i] ?? null;
      return serialize(doc);
    }
    case "group":
      return cached(`g\u0000${item.field}`, () =>
        compile({ [item.field]: valueSchema(item.field), count: { type: "integer" } }),
      )({ [item.field]: item.value, count: item.count });
    case "count":
      return countJson(item);
    case "bucket":
      return bucketJson({ time: bucketTime(item.startMs), count: item.count });
  }
}
