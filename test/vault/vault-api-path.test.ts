import { describe, expect, test } from "vitest";
import { mulberry32 } from "../../src/demo/seeded-random.js";
import { UsageError } from "../../src/errors.js";
import {
  requestLine,
  vaultApiPath,
  vaultNamespace,
  type PathValue,
} from "../../src/vault/vault-api-path.js";

const REVOKE_PREFIX = "sys/leases/revoke-prefix";
const prefix = (value: string, extra: Partial<PathValue> = {}): PathValue => ({
  name: "lease prefix",
  value,
  keepTrailingSlash: true,
  ...extra,
});

/** What a server does with a request path: resolve dot segments, then percent-decode. */
function landsOn(path: string): string {
  return decodeURIComponent(new URL(`http://vault.invalid/v1/${path}`).pathname);
}

/** Values from the hostile test of issue #15 and their relatives. */
const HOSTILE_VALUES: readonly [string, RegExp][] = [
  ["", /is empty/],
  ["nothing-here/../database/", /has a "\.\." segment/],
  ["../../../sys/seal", /has a "\.\." segment/],
  ["..", /has a "\.\." segment/],
  ["./database/", /has a "\." segment/],
  ["database/./creds", /has a "\." segment/],
  ["%2e%2e/%2e%2e/%2e%2e/sys/seal", /contains "%"/],
  ["%2E%2E/sys/seal", /contains "%"/],
  [".%2e/sys/seal", /contains "%"/],
  ["database%2f..%2f..%2fsys%2fseal", /contains "%"/],
  ["..\\..\\..\\sys\\seal", /contains a backslash/],
  ["database//creds", /has an empty segment/],
  ["/database/", /has an empty segment/],
  ["/", /has an empty segment/],
  ["database//", /has an empty segment/],
  ["x?/../../../sys/seal", /contains "\?"/],
  ["database/creds#/../../../sys/seal", /contains "#"/],
  ["database\n/creds", /contains a control character/],
  ["database\r\nX-Injected: 1", /contains a control character/],
  ["database\u0000", /contains a control character/],
  ["database\tcreds", /contains a control character/],
  ["database\u0085creds", /contains a control character/],
  ["database\u2028creds", /contains a control character/],
  ["．．/．．/．．/sys/seal", /has a "\.\." segment once Unicode look-alikes/],
  ["\u2025/\u2025/sys/seal", /has a "\.\." segment once Unicode look-alikes/],
  ["a\uff0f..\uff0fsys", /has a "\.\." segment once Unicode look-alikes/],
  ["a\uff3c..\uff3csys", /contains a backslash once Unicode look-alikes/],
];

describe("vaultApiPath builds the path of a fixed endpoint and one checked value", () => {
  test.each([
    ["database/creds/app/", "sys/leases/revoke-prefix/database/creds/app/"],
    ["database/creds/app", "sys/leases/revoke-prefix/database/creds/app"],
    ["database", "sys/leases/revoke-prefix/database"],
    ["odd name/x+y=z/", "sys/leases/revoke-prefix/odd%20name/x%2By%3Dz/"],
    ["a.b/...c/.../d", "sys/leases/revoke-prefix/a.b/...c/.../d"],
    ["ünï/创建", "sys/leases/revoke-prefix/%C3%BCn%C3%AF/%E5%88%9B%E5%BB%BA"],
  ])("prefix %j → %s, and it lands there", (value, expected) => {
    const path = vaultApiPath(REVOKE_PREFIX, prefix(value));
    expect(path).toBe(expected);
    expect(landsOn(path)).toBe(`/v1/${REVOKE_PREFIX}/${value}`);
    expect(requestLine("PUT", path)).toBe(`PUT /v1/${expected}`);
  });

  test("without keepTrailingSlash one trailing slash is dropped (an audit device 'file/')", () => {
    expect(vaultApiPath("sys/audit-hash", { name: "audit device", value: "file/" })).toBe(
      "sys/audit-hash/file",
    );
  });

  test("an endpoint with no value is itself; an endpoint that is not code is a bug", () => {
    expect(vaultApiPath("sys/seal")).toBe("sys/seal");
    for (const bad of ["sys/../seal", "/sys/seal", "sys/seal/", "sys//seal", "sys/seal?x", ""]) {
      const err = (() => {
        try {
          vaultApiPath(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(UsageError);
    }
  });

  test.each(HOSTILE_VALUES)("refuses %j (exit 2, the value and the reason named)", (value, why) => {
    let err: unknown;
    try {
      vaultApiPath(REVOKE_PREFIX, prefix(value, { where: "stdin line 7" }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(why);
    expect(e.message.startsWith("stdin line 7: lease prefix ")).toBe(true);
    expect(e.message).toContain("cannot leave sys/leases/revoke-prefix/");
    // The value is shown escaped: no raw control character reaches the terminal.
    expect(e.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  test("10,000 random strings of dots, slashes and escapes: refused, or they land inside the endpoint", () => {
    const random = mulberry32(15);
    const alphabet = [
      ".",
      ".",
      "/",
      "/",
      "%",
      "2",
      "e",
      "E",
      "f",
      "\\",
      "?",
      "#",
      "a",
      "．",
      "／",
      " ",
    ];
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      const length = 1 + Math.floor(random() * 12);
      let value = "";
      for (let j = 0; j < length; j++) value += alphabet[Math.floor(random() * alphabet.length)];
      let path: string;
      try {
        path = vaultApiPath(REVOKE_PREFIX, prefix(value));
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        continue;
      }
      accepted++;
      const landed = landsOn(path);
      expect(landed.startsWith(`/v1/${REVOKE_PREFIX}/`)).toBe(true);
      expect(landed).toBe(`/v1/${REVOKE_PREFIX}/${value}`);
      expect(landed.split("/")).not.toContain("..");
    }
    expect(accepted).toBeGreaterThan(100);
  });

  test("the message is scrubbed by the redact it is given", () => {
    const token = "hvs.SECRET-in-a-prefix";
    const err = (() => {
      try {
        vaultApiPath(
          REVOKE_PREFIX,
          prefix(`../${token}/`, { redact: (t) => t.split(token).join("[redacted]") }),
        );
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toContain('"../[redacted]/"');
    expect(err?.message).not.toContain(token);
  });
});

describe("vaultNamespace checks X-Vault-Namespace values the same way", () => {
  test.each([
    ["ns1/child/", "ns1/child"],
    ["/ns1", "ns1"],
    ["root", ""],
    ["", ""],
    ["team.a", "team.a"],
  ])("%j → %j", (value, expected) => {
    expect(vaultNamespace({ name: "namespace", value })).toBe(expected);
  });

  test.each([
    ["../sys", /has a "\.\." segment/],
    ["ns1/../ns2", /has a "\.\." segment/],
    ["ns1//ns2", /has an empty segment/],
    ["ns1\r\nX-Vault-Token: x", /contains a control character/],
    ["ns1%2f..", /contains "%"/],
    ["ns1?x", /contains "\?"/],
  ])("refuses %j", (value, why) => {
    expect(() => vaultNamespace({ name: "namespace", value, where: "--namespace" })).toThrow(why);
  });
});
