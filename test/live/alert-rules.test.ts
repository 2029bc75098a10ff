// Alert rules on entries: SPEC's scenarios (failed unwraps from one IP, traffic from a watched
// CIDR, a leaked secret's HMAC appearing) fire exactly once per rule/key window, a burst fires no
// storm, and bad rules are usage errors with a caret where the rule goes wrong.
import { describe, expect, test } from "vitest";
import { auditHmac } from "../../src/audit/audit-hmac.js";
import type { AuditEntry } from "../../src/audit/audit-entry.js";
import { BreakglassError, QueryError } from "../../src/errors.js";
import {
  AlertEvaluator,
  compileAlertRules,
  parseAlertRule,
  rulesFromText,
  type Alert,
} from "../../src/live/alert-rules.js";

const SALT = "alert-test-salt";
const T0 = Date.parse("2024-05-01T10:00:00Z");

function entry(opts: {
  s: number;
  ip?: string;
  path?: string;
  error?: string;
  token?: string;
}): AuditEntry {
  return {
    time: new Date(T0 + opts.s * 1000).toISOString(),
    type: "request",
    request: {
      id: `r-${opts.s}`,
      path: opts.path ?? "secret/data/app",
      remote_address: opts.ip ?? "192.0.2.1",
      client_token: opts.token ?? "hmac-sha256:00",
    },
    ...(opts.error ? { error: opts.error } : {}),
  } as AuditEntry;
}

const unwrapFail = (s: number, ip: string): AuditEntry =>
  entry({
    s,
    ip,
    path: "sys/wrapping/unwrap",
    error: "wrapping token is not valid or does not exist",
  });

async function evaluator(...specs: string[]): Promise<AlertEvaluator> {
  return new AlertEvaluator(await compileAlertRules(specs, { salt: SALT }), () => T0);
}

function run(ev: AlertEvaluator, entries: readonly AuditEntry[]): Alert[] {
  return entries.flatMap((e) => ev.evaluate(e));
}

describe("alert rules", () => {
  test("more than 5 failed unwraps from one IP within a minute fire once per IP and window", async () => {
    const ev = await evaluator(
      'unwrap-fail=path = "sys/wrapping/unwrap" and error ~ "not valid" | count by ip > 5 within 1m',
    );
    const attacker = "10.103.9.43:51234";
    const out = run(ev, [
      ...Array.from({ length: 5 }, (_, i) => unwrapFail(i, attacker)),
      ...Array.from({ length: 5 }, (_, i) => unwrapFail(i, "10.0.0.7")), // 5 is not more than 5
      entry({ s: 6, ip: attacker, path: "sys/wrapping/unwrap" }), // no error: not counted
    ]);
    expect(out).toEqual([]);
    const fired = run(ev, [unwrapFail(7, attacker)]);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ alert: "unwrap-fail", key: "10.103.9.43", count: 6 });
    expect(fired[0]!.entry.time).toBe(new Date(T0 + 7000).toISOString());
    // A burst in the same minute: no storm, and the next alert says how many were held back.
    expect(
      run(
        ev,
        Array.from({ length: 200 }, (_, i) => unwrapFail(8 + i / 10, attacker)),
      ),
    ).toEqual([]);
    const later = run(
      ev,
      Array.from({ length: 6 }, (_, i) => unwrapFail(120 + i, attacker)),
    );
    expect(later).toHaveLength(1);
    expect(later[0]).toMatchObject({ key: "10.103.9.43", suppressed: 200 });
  });

  test("the sliding window forgets old failures", async () => {
    const ev = await evaluator('u=path = "sys/wrapping/unwrap" | count by ip > 2 within 10s');
    expect(
      run(
        ev,
        [0, 5, 11, 16, 22].map((s) => unwrapFail(s, "10.0.0.1")),
      ),
    ).toEqual([]);
    expect(
      run(
        ev,
        [23, 24].map((s) => unwrapFail(s, "10.0.0.1")),
      ),
    ).toHaveLength(1);
  });

  test("traffic from a watched CIDR: a burst fires one alert per window", async () => {
    const ev = await evaluator("watched=ip in 10.103.0.0/16");
    const burst = Array.from({ length: 1000 }, (_, i) =>
      entry({ s: i / 100, ip: `10.103.${i % 7}.${i % 250}` }),
    );
    const out = run(ev, [entry({ s: 0, ip: "10.104.0.1" }), ...burst]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ alert: "watched", key: null, count: 1 });
    expect(run(ev, [entry({ s: 90, ip: "10.103.1.1" })])).toHaveLength(1);
  });

  test("per-IP alerts for a CIDR with count by ip > 0", async () => {
    const ev = await evaluator("watched=ip in 10.103.0.0/16 | count by ip > 0 within 1m");
    const out = run(
      ev,
      [1, 2, 3, 1, 2, 3].map((n, i) => entry({ s: i, ip: `10.103.0.${n}` })),
    );
    expect(out.map((a) => a.key)).toEqual(["10.103.0.1", "10.103.0.2", "10.103.0.3"]);
  });

  test("a leaked secret's HMAC appearing fires once", async () => {
    const leaked = "74fba557-4a2e-3b1c-8d8f-5c7a4c0f3b21";
    const ev = await evaluator(`leak=hmac = hash("${leaked}")`);
    const hm = auditHmac(SALT, leaked);
    const out = run(ev, [
      entry({ s: 0 }),
      entry({ s: 1, token: hm }),
      entry({ s: 2, token: hm }),
      entry({ s: 3, token: auditHmac(SALT, "other") }),
    ]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ alert: "leak", count: 1 });
  });

  test("rules files: one NAME=QUERY a line, comments and blank lines skipped", () => {
    expect(rulesFromText("# watch\n\nwatched=ip in 10.0.0.0/8\r\n  x=op = read \n")).toEqual([
      "watched=ip in 10.0.0.0/8",
      "x=op = read",
    ]);
  });

  test.each([
    ["no name", "ip = 10.0.0.1", /expected NAME=QUERY/],
    ["bad threshold", "x=ip = 1.2.3.4 | count by ip > many within 1m", /expected a threshold/],
    ["unknown field", "x=bogus = 1", /./],
    ["unknown count field", "x=op = read | count by bogus > 5 within 1m", /./],
    ["another stage", "x=op = read | leases", /no other stages/],
    ["every entry", "x=*", /needs a predicate/],
    ["a parse error", 'x=path = "unterminated', /unterminated string/],
  ])("a rule with %s is refused", async (_name, spec, message) => {
    const err = await compileAlertRules([spec], { salt: SALT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BreakglassError);
    expect((err as Error).message).toMatch(message);
    expect((err as BreakglassError).exitCode).toBe(2);
  });

  test("a QueryError points into the rule's query", () => {
    const err = (() => {
      try {
        parseAlertRule("x=op = read | count by ip > 5 whenever");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).render()).toContain("op = read | count by ip > 5 whenever");
  });

  test("hash() without a salt, subqueries and duplicate names are usage errors", async () => {
    await expect(compileAlertRules(['x=hmac = hash("a")'], {})).rejects.toThrow(/salt/);
    await expect(
      compileAlertRules(["x=token in (ip = 10.0.0.1 | distinct token)"], { salt: SALT }),
    ).rejects.toThrow(/subqueries/);
    await expect(compileAlertRules(["x=op = read", "x=op = list"], {})).rejects.toThrow(/two/);
  });
});
