// parseQuery turns every query of SPEC.md (and many variants) into the AST of src/query/ast.ts,
// and every kind of mistake into a QueryError at the right offset with a useful message.
import { describe, expect, it, test } from "vitest";
import { QueryError } from "../../src/errors.js";
import type { Expr } from "../../src/query/ast.js";
import { parseQuery } from "../../src/query/parse-query.js";

const f = (name: string, catalog = true) => ({ kind: "field", name, catalog });
const lit = (text: string, form: string) => ({ kind: "literal", text, form });
const cmp = (field: string, op: string, value: object, catalog = true) => ({
  kind: "compare",
  field: f(field, catalog),
  op,
  value,
});

describe("the examples of SPEC.md", () => {
  test.each<[string, { where: object; stages?: object[] }]>([
    [
      "ip = 10.103.9.43 | leases",
      { where: cmp("ip", "=", lit("10.103.9.43", "ip")), stages: [{ kind: "leases" }] },
    ],
    [
      "ip in 10.103.0.0/16 and op = read | count by path",
      {
        where: {
          kind: "and",
          terms: [
            { kind: "in", field: f("ip"), value: lit("10.103.0.0/16", "cidr") },
            cmp("op", "=", lit("read", "word")),
          ],
        },
        stages: [{ kind: "countBy", field: f("path") }],
      },
    ],
    [
      'hmac = "hmac-sha256:ef6840c79d1be65f328b51141c3f19ca3360a7ed9d972a76f1cd6e7c240436ca" | leases',
      {
        where: cmp(
          "hmac",
          "=",
          lit(
            "hmac-sha256:ef6840c79d1be65f328b51141c3f19ca3360a7ed9d972a76f1cd6e7c240436ca",
            "string",
          ),
        ),
        stages: [{ kind: "leases" }],
      },
    ],
    [
      'path ^= "secret/app1" | fields time, ip, display_name',
      {
        where: cmp("path", "^=", lit("secret/app1", "string")),
        stages: [{ kind: "fields", fields: [f("time"), f("ip"), f("display_name")] }],
      },
    ],
    [
      "role = app1role and time >= 2018-08-28T00:00:00Z",
      {
        where: {
          kind: "and",
          terms: [
            cmp("role", "=", lit("app1role", "word")),
            cmp("time", ">=", lit("2018-08-28T00:00:00Z", "time")),
          ],
        },
        stages: [],
      },
    ],
    [
      "token in (ip = 10.103.9.43 | distinct token) | leases",
      {
        where: {
          kind: "in",
          field: f("token"),
          value: {
            kind: "subquery",
            offset: 9,
            query: {
              kind: "query",
              where: cmp("ip", "=", lit("10.103.9.43", "ip")),
              stages: [{ kind: "distinct", field: f("token") }],
              text: "ip = 10.103.9.43 | distinct token",
            },
          },
        },
        stages: [{ kind: "leases" }],
      },
    ],
    [
      'path = "sys/wrapping/unwrap" and error ~ "not valid"',
      {
        where: {
          kind: "and",
          terms: [
            cmp("path", "=", lit("sys/wrapping/unwrap", "string")),
            cmp("error", "~", lit("not valid", "string")),
          ],
        },
      },
    ],
  ])("%s", (text, expected) => {
    expect(parseQuery(text)).toMatchObject({ kind: "query", text, ...expected });
  });
});

describe("bare words need no quotes and keep their form", () => {
  test.each([
    ["role = dev-team", "dev-team", "word"],
    ["type = kmip-response", "kmip-response", "word"],
    ["path = secret/app1", "secret/app1", "word"],
    ["lease = database/creds/admin/abc-123", "database/creds/admin/abc-123", "word"],
    ["ip = 10.0.0.1", "10.0.0.1", "ip"],
    ["ip = 10.0.0.5:5696", "10.0.0.5:5696", "ip"],
    ["ip = 2001:db8::1", "2001:db8::1", "ip"],
    ["ip = ::1", "::1", "ip"],
    ["ip = ::ffff:10.0.0.1", "::ffff:10.0.0.1", "ip"],
    ["time = 2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "time"],
    ["time >= 2026-01-01", "2026-01-01", "time"],
    ["time < 2026-01-01T10:20:30.123456789+02:00", "2026-01-01T10:20:30.123456789+02:00", "time"],
    ["time > 2026-01-01T10:20:30-0700", "2026-01-01T10:20:30-0700", "time"],
    ["response.data.ttl > 3600", "3600", "number"],
    ["response.data.ttl <= 1.5", "1.5", "number"],
    ['response.data.ttl < "60"', "60", "string"],
    ["response.data.expires > 2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "time"],
    ["display_name = user@example.com", "user@example.com", "word"],
    ["token = hmac-sha256:abc123", "hmac-sha256:abc123", "word"],
    ["path = count", "count", "word"],
    ["path = desc", "desc", "word"],
    ["op = update", "update", "word"],
    ['error = "a \\"quoted\\" word"', 'a "quoted" word', "string"],
    ["error = 'single \\'quoted\\''", "single 'quoted'", "string"],
    ['error = "tab\\there\\u0041"', "tab\thereA", "string"],
    ['error ~ "not\\s+valid"', "not\\s+valid", "string"],
    ['path = "and"', "and", "string"],
  ])("%s → %j (%s)", (text, value, form) => {
    const q = parseQuery(text);
    expect(q.where).toMatchObject({
      kind: "compare",
      value: { kind: "literal", text: value, form },
    });
  });
});

describe("fields", () => {
  test.each([
    ["response.data.username = bob", "response.data.username", false],
    ["request.headers.x-forwarded-for = 10.0.0.1", "request.headers.x-forwarded-for", false],
    ["request.remote_address = 10.0.0.1", "request.remote_address", false],
    ["auth.metadata.role_name = r", "auth.metadata.role_name", false],
    ["namespace = ns1/", "namespace", true],
    ["request_id = abc", "request_id", true],
    ["mount_type = kv", "mount_type", true],
    // A dotted path may start at any top-level key (Vault Enterprise, OpenBao, HCP add their own).
    ["data.username = bob", "data.username", false],
    ["hcp_cluster.id = c1", "hcp_cluster.id", false],
    // The top-level keys Vault writes may be named alone.
    ["forwarded = true", "forwarded", false],
    ["exists auth", "auth", false],
    // Any top-level key, said explicitly with a leading dot (as jq writes paths).
    [".hostname = vault-0", "hostname", false],
    [".hcp.cluster_id = c1", "hcp.cluster_id", false],
    ["forwarded_from = node-2:8201", "forwarded_from", true],
    ["port >= 1024", "port", true],
    ["kv_path = secret/app1/db", "kv_path", true],
  ])("%s reads %s (catalog: %s)", (text, name, catalog) => {
    expect(parseQuery(text).where).toMatchObject({ field: { kind: "field", name, catalog } });
  });
});

describe("boolean structure: and binds tighter than or; not, parentheses, keywords in any case", () => {
  const p = (name: string) => cmp("path", "=", lit(name, "word"));
  test.each<[string, object]>([
    [
      "path = a or path = b and path = c",
      { kind: "or", terms: [p("a"), { kind: "and", terms: [p("b"), p("c")] }] },
    ],
    [
      "path = a and path = b or path = c",
      { kind: "or", terms: [{ kind: "and", terms: [p("a"), p("b")] }, p("c")] },
    ],
    [
      "(path = a or path = b) and path = c",
      { kind: "and", terms: [{ kind: "or", terms: [p("a"), p("b")] }, p("c")] },
    ],
    ["path = a and path = b and path = c", { kind: "and", terms: [p("a"), p("b"), p("c")] }],
    ["path = a OR path = b Or path = c", { kind: "or", terms: [p("a"), p("b"), p("c")] }],
    ["not path = a", { kind: "not", operand: p("a"), offset: 0 }],
    ["NOT not path = a", { kind: "not", operand: { kind: "not", operand: p("a") } }],
    [
      "not (path = a or path = b)",
      { kind: "not", operand: { kind: "or", terms: [p("a"), p("b")] } },
    ],
    ["((path = a))", p("a")],
    [
      "exists response.secret.lease_id",
      { kind: "exists", field: f("response.secret.lease_id", false) },
    ],
    [
      "EXISTS error and not exists lease",
      { kind: "and", terms: [{ kind: "exists" }, { kind: "not" }] },
    ],
    ["path=a", p("a")],
    ["path==a", p("a")],
    ["path!=a", cmp("path", "!=", lit("a", "word"))],
    ["path^=secret/", cmp("path", "^=", lit("secret/", "word"))],
    ["error~denied", cmp("error", "~", lit("denied", "word"))],
    ["time<2026-01-01", cmp("time", "<", lit("2026-01-01", "time"))],
    ["time<=2026-01-01", cmp("time", "<=", lit("2026-01-01", "time"))],
    ["time>2026-01-01", cmp("time", ">", lit("2026-01-01", "time"))],
    ["ip IN 10.0.0.0/8", { kind: "in", field: f("ip"), value: lit("10.0.0.0/8", "cidr") }],
    ["ip in 2001:db8::/32", { kind: "in", value: lit("2001:db8::/32", "cidr") }],
    ["ip in ::/0", { kind: "in", value: lit("::/0", "cidr") }],
    [
      "ip in [10.0.0.1, 10.1.0.0/16, 2001:db8::1]",
      {
        kind: "in",
        value: {
          kind: "list",
          offset: 6,
          items: [lit("10.0.0.1", "ip"), lit("10.1.0.0/16", "cidr"), lit("2001:db8::1", "ip")],
        },
      },
    ],
    [
      'path in ["secret/a", secret/b]',
      {
        kind: "in",
        value: { kind: "list", items: [lit("secret/a", "string"), lit("secret/b", "word")] },
      },
    ],
    [
      'hmac = hash("74fba557-x")',
      cmp("hmac", "=", { kind: "hash", plaintext: "74fba557-x", offset: 7 }),
    ],
    [
      "token in [hash('a'), hash(\"b\")]",
      {
        kind: "in",
        value: {
          kind: "list",
          items: [
            { kind: "hash", plaintext: "a" },
            { kind: "hash", plaintext: "b" },
          ],
        },
      },
    ],
  ])("%s", (text, where) => {
    expect(parseQuery(text).where).toMatchObject(where);
  });

  it("lexes `notify` as one word, not `not` + `ify`", () => {
    expect(() => parseQuery("notify = x")).toThrow("unknown field `notify`");
  });

  it("keeps keywords inside longer words: `order`, `index`, `android` are words", () => {
    expect(parseQuery("path = order or path = index or path = android").where).toMatchObject({
      kind: "or",
      terms: [
        { value: { text: "order" } },
        { value: { text: "index" } },
        { value: { text: "android" } },
      ],
    });
  });

  it("matches everything with `*` or a leading `|`", () => {
    expect(parseQuery("*")).toMatchObject({ where: { kind: "all" }, stages: [] });
    expect(parseQuery("* | count")).toMatchObject({
      where: { kind: "all" },
      stages: [{ kind: "count" }],
    });
    expect(parseQuery("| leases")).toMatchObject({
      where: { kind: "all" },
      stages: [{ kind: "leases" }],
    });
  });

  it("records offsets for carets", () => {
    const q = parseQuery("path = a and not ip = 10.0.0.1");
    const and = q.where as Extract<Expr, { kind: "and" }>;
    expect(and.terms[1]).toMatchObject({
      kind: "not",
      offset: 13,
      operand: { offset: 17, field: { offset: 17 } },
    });
  });
});

describe("stages", () => {
  test.each<[string, object[]]>([
    ["* | leases", [{ kind: "leases", offset: 4 }]],
    ["* | distinct token", [{ kind: "distinct", field: f("token") }]],
    [
      "* | distinct response.data.username",
      [{ kind: "distinct", field: f("response.data.username", false) }],
    ],
    ["* | count", [{ kind: "count" }]],
    ["* | COUNT BY path", [{ kind: "countBy", field: f("path") }]],
    ["* | top 5 path", [{ kind: "top", n: 5, field: f("path") }]],
    ["* | top path", [{ kind: "top", n: 10, field: f("path") }]],
    [
      "* | top 3 response.data.username",
      [{ kind: "top", n: 3, field: f("response.data.username", false) }],
    ],
    [
      "* | fields time, ip, display_name",
      [{ kind: "fields", fields: [f("time"), f("ip"), f("display_name")] }],
    ],
    ["* | fields path", [{ kind: "fields", fields: [f("path")] }]],
    ["* | sort time", [{ kind: "sort", field: f("time"), desc: false }]],
    ["* | sort time desc", [{ kind: "sort", field: f("time"), desc: true }]],
    ["* | sort time ASC", [{ kind: "sort", field: f("time"), desc: false }]],
    ["* | limit 10", [{ kind: "limit", n: 10 }]],
    ["* | limit 0", [{ kind: "limit", n: 0 }]],
    ["* | timeline", [{ kind: "timeline", intervalMs: undefined }]],
    ["* | timeline 30s", [{ kind: "timeline", intervalMs: 30_000 }]],
    ["* | timeline 1m", [{ kind: "timeline", intervalMs: 60_000 }]],
    ["* | timeline 5m", [{ kind: "timeline", intervalMs: 300_000 }]],
    ["* | timeline 1h", [{ kind: "timeline", intervalMs: 3_600_000 }]],
    ["* | timeline 1d", [{ kind: "timeline", intervalMs: 86_400_000 }]],
    ["* | pair", [{ kind: "pair" }]],
    ["* | pair | limit 2", [{ kind: "pair" }, { kind: "limit", n: 2 }]],
    [
      "* | sort time desc | limit 5",
      [
        { kind: "sort", desc: true },
        { kind: "limit", n: 5 },
      ],
    ],
    ["* | limit 5 | leases", [{ kind: "limit" }, { kind: "leases" }]],
    ["* | distinct token | count", [{ kind: "distinct" }, { kind: "count" }]],
    [
      "* | distinct path | sort path desc | limit 3",
      [{ kind: "distinct" }, { kind: "sort" }, { kind: "limit" }],
    ],
    [
      "* | fields path, ip | sort path | count by ip",
      [{ kind: "fields" }, { kind: "sort" }, { kind: "countBy" }],
    ],
    ["* | count by path | limit 3", [{ kind: "countBy" }, { kind: "limit" }]],
    ["* | leases | limit 1 | count", [{ kind: "leases" }, { kind: "limit" }, { kind: "count" }]],
  ])("%s", (text, stages) => {
    expect(parseQuery(text).stages).toMatchObject(stages);
  });
});

interface ErrorCase {
  query: string;
  message: string;
  offset: number;
  hint?: string;
}

describe("errors: always a QueryError with the offset and what was expected", () => {
  test.each<ErrorCase>([
    { query: "ip = ", message: "expected a value after `=`", offset: 5 },
    { query: "ip = )", message: "expected a value after `=`, found `)`", offset: 5 },
    { query: "path ~", message: "expected a value after `~`", offset: 6 },
    { query: "(ip = 10.0.0.1", message: "expected `)`", offset: 14 },
    { query: "(ip = 10.0.0.1 | leases", message: "expected `)`, found `|`", offset: 15 },
    { query: "ip = 10.0.0.1)", message: "unexpected `)`: no `(` to close", offset: 13 },
    { query: "", message: "expected a query", offset: 0 },
    { query: "   ", message: "expected a query", offset: 3 },
    { query: "and", message: "expected a query", offset: 0 },
    {
      query: "ip",
      message: "expected an operator (=, !=, ^=, ~, <, <=, >, >=, in) after `ip`",
      offset: 2,
    },
    { query: "ip 10.0.0.1", message: "expected an operator", offset: 3 },
    { query: "ip = 1.2.3.4 and", message: "expected a predicate like `ip = 10.0.0.1`", offset: 16 },
    { query: "ip = 1.2.3.4 or or", message: "expected a predicate", offset: 16 },
    { query: "not", message: "expected a predicate", offset: 3 },
    {
      query: "ip = 1.2.3.4 foo",
      message: "expected `and`, `or`, `|` or the end of the query, found `foo`",
      offset: 13,
    },
    {
      query: "* | leases foo",
      message: "expected `|` or the end of the query, found `foo`",
      offset: 11,
    },
    { query: "ip = 1.2.3.4 |", message: "expected a stage after `|`", offset: 14 },
    {
      query: "* | lease",
      message: "unknown stage `lease`",
      offset: 4,
      hint: "did you mean `leases`?",
    },
    {
      query: "* | head 5",
      message: "unknown stage `head`",
      offset: 4,
      hint: "did you mean `limit`?",
    },
    {
      query: "* | counts",
      message: "unknown stage `counts`",
      offset: 4,
      hint: "did you mean `count`?",
    },
    {
      query: "* | xyzzy",
      message: "unknown stage `xyzzy`",
      offset: 4,
      hint: "stages are leases, distinct",
    },
    { query: "* | distinct", message: "expected a field after `distinct`", offset: 12 },
    { query: "* | count by", message: "expected a field after `by`", offset: 12 },
    { query: "* | fields", message: "expected a field after `fields`", offset: 10 },
    { query: "* | fields a,", message: "expected a field after `,`", offset: 13 },
    { query: "* | fields path,", message: "expected a field after `,`", offset: 16 },
    { query: "* | limit", message: "expected a number after `limit`", offset: 9 },
    { query: "* | sort", message: "expected a field after `sort`", offset: 8 },
    { query: "* | top 5", message: "expected a field, found the number `5`", offset: 8 },
    { query: "10 = x", message: "expected a field, found the number `10`", offset: 0 },
    {
      query: "remote_adress = 10.0.0.1",
      message: "unknown field `remote_adress`",
      offset: 0,
      hint: "did you mean `ip`?",
    },
    {
      query: "remote_address = 10.0.0.1",
      message: "unknown field `remote_address`",
      offset: 0,
      hint: "did you mean `ip`?",
    },
    {
      query: "lease_id = x",
      message: "unknown field `lease_id`",
      offset: 0,
      hint: "did you mean `lease`?",
    },
    { query: "pth = x", message: "unknown field `pth`", offset: 0, hint: "did you mean `path`?" },
    {
      query: "IP = 10.0.0.1",
      message: "unknown field `IP`",
      offset: 0,
      hint: "did you mean `ip`?",
    },
    {
      query: "path = a and rol = b",
      message: "unknown field `rol`",
      offset: 13,
      hint: "did you mean `role`?",
    },
    {
      query: "requst.path = x",
      message: "unknown field `requst.path`",
      offset: 0,
      hint: "did you mean `request.path`?",
    },
    {
      query: "reqest.path = x",
      message:
        "unknown field `reqest.path` (`reqest` is not a key Vault writes; write `.reqest.path`",
      offset: 0,
      hint: "did you mean `request.path`?",
    },
    {
      query: "forwarded_form = x",
      message: "unknown field `forwarded_form`",
      offset: 0,
      hint: "did you mean `forwarded_from`?",
    },
    {
      query: "hostnme = x",
      message: "unknown field `hostnme`",
      offset: 0,
      hint: "or a top-level key of the entry written `.hostnme`",
    },
    { query: ".a..b = x", message: "`.a..b` has an empty path segment", offset: 0 },
    {
      query: "error exists",
      message: "expected an operator",
      offset: 6,
      hint: "`exists` comes before the field: exists error",
    },
    {
      query: 'namespace = ""',
      message: '`namespace = ""` matches nothing: an empty value is no value',
      offset: 12,
      hint: "the root namespace is `namespace = root`; entries without a namespace: `not exists namespace`",
    },
    {
      query: 'path != ""',
      message: '`path != ""` matches every entry: an empty value is no value',
      offset: 8,
      hint: "entries without path: `not exists path`; with one: `exists path`",
    },
    {
      query: "port = https",
      message: "`port` is a number, not `https`",
      offset: 7,
      hint: "e.g. port = 443, port >= 1024",
    },
    { query: "port in [443, x]", message: "`port` is a number, not `x`", offset: 14 },
    { query: "xff in [10.0.0.1, unknown]", message: "`unknown` is not an IP address", offset: 18 },
    {
      query: "kv_path > secret/a",
      message: "`>` compares times and numbers, and `kv_path` is text",
      offset: 10,
    },
    { query: "request..path = x", message: "`request..path` has an empty path segment", offset: 0 },
    {
      query: "* | distinct tokn",
      message: "unknown field `tokn`",
      offset: 13,
      hint: "did you mean `token`?",
    },
    {
      query: "ip in 10.0.0.0/33",
      message: "bad CIDR `10.0.0.0/33`: the prefix length must be 0–32 for IPv4",
      offset: 6,
    },
    { query: "ip in 2001:db8::/129", message: "bad CIDR `2001:db8::/129`", offset: 6 },
    { query: "ip in [10.0.0.1, 10.0.0.0/40]", message: "bad CIDR `10.0.0.0/40`", offset: 17 },
    {
      query: "ip = 10.0.0.0/8",
      message: "a CIDR needs `in`",
      offset: 5,
      hint: "write: ip in 10.0.0.0/8",
    },
    { query: "ip = 10.0.0.300", message: "`10.0.0.300` is not an IP address", offset: 5 },
    { query: "ip = localhost", message: "`localhost` is not an IP address", offset: 5 },
    {
      query: "ip in 10.0.0.1",
      message: "`in` takes a CIDR",
      offset: 6,
      hint: "for one address write: ip = 10.0.0.1",
    },
    {
      query: "path in 10.0.0.0/8",
      message: "`in` with a CIDR needs an address field (ip, xff), not `path`",
      offset: 8,
    },
    {
      query: "path in secret/",
      message: "`in` takes a CIDR, a list `[a, b]` or a subquery",
      offset: 8,
    },
    { query: "path in []", message: "expected a value after `[`, found `]`", offset: 9 },
    { query: "path in [a b]", message: "expected `,` or `]`, found `b`", offset: 11 },
    { query: "time >= 2026-13-01", message: "`2026-13-01` is not a valid time", offset: 8 },
    { query: "time = yesterday", message: "`yesterday` is not a valid time", offset: 7 },
    {
      query: "time in [2026-01-01, 2026-02-30T25:00:00Z]",
      message: "is not a valid time",
      offset: 21,
    },
    { query: "path < 3", message: "`<` compares times and numbers, and `path` is text", offset: 7 },
    {
      query: "ip >= 10.0.0.1",
      message: "`>=` compares times and numbers, and `ip` is an address",
      offset: 6,
    },
    {
      query: "response.data.ttl > abc",
      message: "`>` needs a number or a time, not `abc`",
      offset: 20,
    },
    { query: 'error ~ "(unclosed"', message: "bad regular expression", offset: 8 },
    {
      query: 'op = read and path ~ "(?!x)"',
      message: "bad regular expression: lookahead `(?!` is not supported",
      offset: 21,
      hint: "breakglass uses RE2 syntax: no backreferences or lookaround",
    },
    { query: 'ip = hash("x")', message: "`hash()` makes an HMAC string", offset: 5 },
    {
      query: "hmac = hash(x)",
      message: 'hash() takes a quoted string: hash("plaintext"), found `x`',
      offset: 12,
    },
    { query: 'hmac = hash("x"', message: "expected `)`", offset: 15 },
    { query: "* | top 0 path", message: "`top` needs a count of at least 1, not `0`", offset: 8 },
    { query: "* | top -3 path", message: "`top` needs a count of at least 1, not `-3`", offset: 8 },
    {
      query: "* | limit -1",
      message: "`limit` needs a whole number, 0 or more, not `-1`",
      offset: 10,
    },
    {
      query: "* | limit 2.5",
      message: "`limit` needs a whole number, 0 or more, not `2.5`",
      offset: 10,
    },
    { query: "* | limit ten", message: "`limit` needs a whole number", offset: 10 },
    {
      query: "* | timeline 5",
      message: "`5` is not an interval",
      offset: 13,
      hint: "intervals look like 30s",
    },
    { query: "* | timeline 0m", message: "`0m` is not an interval", offset: 13 },
    {
      query: "token in (ip = 10.0.0.1)",
      message: "a subquery must end in `| distinct FIELD`",
      offset: 9,
    },
    {
      query: "token in (ip = 10.0.0.1 | leases)",
      message: "a subquery must end in `| distinct FIELD`",
      offset: 26,
    },
    { query: "token in (ip = 10.0.0.1 | distinct token", message: "expected `)`", offset: 40 },
    {
      query: "token in (ip = 10.0.0.1 | distinct tokn)",
      message: "unknown field `tokn`",
      offset: 35,
    },
    { query: "* | count | limit 1", message: "nothing can follow `count`", offset: 12 },
    { query: "* | timeline | count", message: "nothing can follow `timeline`", offset: 15 },
    {
      query: "* | distinct path | leases",
      message: "`leases` cannot follow `distinct`, which yields values",
      offset: 20,
    },
    {
      query: "* | distinct path | sort time",
      message: "`sort` cannot follow `distinct`",
      offset: 20,
    },
    {
      query: "* | leases | pair",
      message: "`pair` cannot follow `leases`, which yields lease ids",
      offset: 13,
    },
    {
      query: 'path = "unterminated',
      message: 'unterminated string: expected a closing "',
      offset: 7,
    },
    { query: "path = a$b", message: "unexpected character `$`", offset: 8 },
    { query: "path = a;", message: "unexpected character `;`", offset: 8 },
  ])("$query → $message", ({ query, message, offset, hint }) => {
    let error: unknown;
    try {
      parseQuery(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueryError);
    const qe = error as QueryError;
    expect(qe.message).toContain(message);
    expect(qe.offset).toBe(offset);
    expect(qe.query).toBe(query);
    if (hint) expect(qe.hint).toContain(hint);
    expect(qe.message).not.toMatch(/-->|<--|Expecting|token of type/);
  });

  it("renders a caret under the position", () => {
    try {
      parseQuery("ip = 10.0.0.1 and pth = x");
      expect.unreachable();
    } catch (e) {
      expect((e as QueryError).render()).toBe(
        "query:1:19: unknown field `pth`\n  ip = 10.0.0.1 and pth = x\n                    ^",
      );
    }
  });
});
