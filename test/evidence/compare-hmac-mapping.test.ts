// HmacMapping: the one-to-one pairing of two devices' HMAC values, told without either salt.
import { describe, expect, test } from "vitest";
import { auditHmac } from "../../src/audit/audit-hmac.js";
import { HmacMapping, type HmacOccurrence } from "../../src/evidence/compare-hmac-mapping.js";

const ha = (p: string): string => auditHmac("salt-a", p);
const hb = (p: string): string => auditHmac("salt-b", p);

function pair(m: HmacMapping, a: string, b: string, line: number): void {
  const occ: HmacOccurrence = {
    type: "request",
    requestId: `r${line}`,
    time: "",
    field: "auth.client_token",
    aValue: a,
    bValue: b,
    a: { file: "a.log", line },
    b: { file: "b.log", line },
  };
  if (m.observe(a, 0, b, 0)) m.tally(occ);
}

describe("HmacMapping", () => {
  test("consistent pairs over many values: no conflict (the table grows past its first size)", () => {
    const m = new HmacMapping();
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 10_000; i++) pair(m, ha(`t${i}`), hb(`t${i}`), i);
    expect(m.conflicts()).toEqual([]);
    expect(m.unplaced()).toBe(0);
  });

  test("a swapped value is placed at its line, with the usual partner and its count", () => {
    const m = new HmacMapping();
    for (let i = 1; i <= 5; i++) pair(m, ha("x"), hb("x"), i);
    for (let i = 6; i <= 8; i++) pair(m, ha("y"), hb("y"), i);
    pair(m, ha("y"), hb("x"), 9); // A's entry got y's token; B still has x's
    const found = m.conflicts();
    expect(found).toHaveLength(1);
    expect(found[0]!.occurrence.a).toEqual({ file: "a.log", line: 9 });
    expect([found[0]!.elsewhere.entries]).toEqual(expect.arrayContaining([3]));
  });

  test("a tie reports every pair of the value", () => {
    const m = new HmacMapping();
    pair(m, ha("x"), hb("x"), 1);
    pair(m, ha("x"), hb("z"), 2);
    pair(m, ha("x"), hb("x"), 3);
    pair(m, ha("x"), hb("z"), 4);
    const lines = m.conflicts().map((c) => c.occurrence.a.line);
    expect(lines).toEqual(expect.arrayContaining([2, 3, 4]));
  });
});
