// The queries SPEC.md shows ("Examples that must work" and the scenario table), each as its text
// and as the query oracle's tree, plus the same questions with values the generated log and the
// shared corpus hold. Used by the spec-examples test (answers against the oracle) and by the
// framed-log tests (the same answers in every framing).
import type { PlantedIncidents } from "../../src/demo/generate-log.js";
import { and, cmp, hashOf, inCidr, inSubquery, quoted, type OQuery } from "./query-oracle.js";

const leases: OQuery["stages"] = [{ kind: "leases" }];

/** SPEC.md, "Examples that must work", as text and as the oracle's tree. */
export const SPEC_EXAMPLES: [string, OQuery][] = [
  ["ip = 10.103.9.43 | leases", { where: cmp("ip", "=", "10.103.9.43"), stages: leases }],
  [
    "ip in 10.103.0.0/16 and op = read | count by path",
    {
      where: and(inCidr("ip", "10.103.0.0/16"), cmp("op", "=", "read")),
      stages: [{ kind: "countBy", field: "path" }],
    },
  ],
  [
    'hmac = "hmac-sha256:ef6840c79d1be65f328b51141c3f19ca3360a7ed9d972a76f1cd6e7c240436ca" | leases',
    {
      where: cmp(
        "hmac",
        "=",
        quoted("hmac-sha256:ef6840c79d1be65f328b51141c3f19ca3360a7ed9d972a76f1cd6e7c240436ca"),
      ),
      stages: leases,
    },
  ],
  [
    'path ^= "secret/app1" | fields time, ip, display_name',
    {
      where: cmp("path", "^=", quoted("secret/app1")),
      stages: [{ kind: "fields", fields: ["time", "ip", "display_name"] }],
    },
  ],
  [
    "role = app1role and time >= 2018-08-28T00:00:00Z",
    {
      where: and(cmp("role", "=", "app1role"), cmp("time", ">=", "2018-08-28T00:00:00Z")),
      stages: [],
    },
  ],
  [
    "token in (ip = 10.103.9.43 | distinct token) | leases",
    { where: inSubquery("token", cmp("ip", "=", "10.103.9.43"), "token"), stages: leases },
  ],
  [
    'path = "sys/wrapping/unwrap" and error ~ "not valid"',
    {
      where: and(
        cmp("path", "=", quoted("sys/wrapping/unwrap")),
        cmp("error", "~", quoted("not valid")),
      ),
      stages: [],
    },
  ],
];

/** SPEC.md's scenario table (the rows not already above), its placeholder plaintext as written. */
export const SCENARIOS: [string, OQuery][] = [
  [
    'hmac = hash("74fba557-...") | leases',
    { where: cmp("hmac", "=", hashOf("74fba557-...")), stages: leases },
  ],
  [
    'path ^= "secret/app1" and ip in 205.178.0.0/16',
    {
      where: and(cmp("path", "^=", quoted("secret/app1")), inCidr("ip", "205.178.0.0/16")),
      stages: [],
    },
  ],
];

/** The same questions with values the generated log holds (its paths are secret/data/app1/…). */
export function generatedFlavour(PLANTED: PlantedIncidents): [string, OQuery][] {
  return [
    [
      `hmac = hash("${PLANTED.leakedPassword}") | leases`,
      { where: cmp("hmac", "=", hashOf(PLANTED.leakedPassword)), stages: leases },
    ],
    [
      'path ^= "secret/data/app1" | fields time, ip, display_name',
      {
        where: cmp("path", "^=", quoted("secret/data/app1")),
        stages: [{ kind: "fields", fields: ["time", "ip", "display_name"] }],
      },
    ],
    [
      'path ^= "secret/data/app1" and ip in 10.103.0.0/16 | count by role',
      {
        where: and(cmp("path", "^=", quoted("secret/data/app1")), inCidr("ip", "10.103.0.0/16")),
        stages: [{ kind: "countBy", field: "role" }],
      },
    ],
    [
      `token in (path = "sys/wrapping/unwrap" and error ~ "not valid" | distinct token) | leases`,
      {
        where: inSubquery(
          "token",
          and(
            cmp("path", "=", quoted("sys/wrapping/unwrap")),
            cmp("error", "~", quoted("not valid")),
          ),
          "token",
        ),
        stages: leases,
      },
    ],
  ];
}

/** The same questions with values the corpus holds. */
export const CORPUS_FLAVOUR: [string, OQuery][] = [
  ["ip = 127.0.0.1 | leases", { where: cmp("ip", "=", "127.0.0.1"), stages: leases }],
  [
    "ip in 10.10.42.0/24 and op = read | count by path",
    {
      where: and(inCidr("ip", "10.10.42.0/24"), cmp("op", "=", "read")),
      stages: [{ kind: "countBy", field: "path" }],
    },
  ],
  [
    'hmac = "hmac-sha256:eb3da855a3fb8b1c3574064f7edd080a97c4ebcf4a8e6674126710915fe464ae" | count by type',
    {
      where: cmp(
        "hmac",
        "=",
        quoted("hmac-sha256:eb3da855a3fb8b1c3574064f7edd080a97c4ebcf4a8e6674126710915fe464ae"),
      ),
      stages: [{ kind: "countBy", field: "type" }],
    },
  ],
  [
    'path ^= "kv" | fields time, ip, display_name',
    {
      where: cmp("path", "^=", quoted("kv")),
      stages: [{ kind: "fields", fields: ["time", "ip", "display_name"] }],
    },
  ],
  [
    "role = my-role and time >= 2018-08-28T00:00:00Z",
    {
      where: and(cmp("role", "=", "my-role"), cmp("time", ">=", "2018-08-28T00:00:00Z")),
      stages: [],
    },
  ],
  [
    "token in (ip = 127.0.0.1 and path ^= auth/token | distinct token) | leases",
    {
      where: inSubquery(
        "token",
        and(cmp("ip", "=", "127.0.0.1"), cmp("path", "^=", "auth/token")),
        "token",
      ),
      stages: leases,
    },
  ],
  [
    'error ~ "permission denied" | count by ip',
    {
      where: cmp("error", "~", quoted("permission denied")),
      stages: [{ kind: "countBy", field: "ip" }],
    },
  ],
];
