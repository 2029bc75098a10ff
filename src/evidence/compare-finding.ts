// What `compare` reports: one finding per disagreement between the two devices, as data (printed
// as NDJSON or a table by the CLI), each with a one-line message a person reads. Pure.
//
// Kinds (README.md, "Tamper evidence"):
//   only-a, only-b  an entry on one device only: deleted from the other, or inserted into this one
//   field           matched entries whose unhashed field differs (path, remote address, time, …)
//   hmac            an HMAC that maps to two different HMACs on the other device: an edited value
//   gap             one device silent for at least --gap while the other wrote entries
//   head, tail      one device's log starts later or ends earlier than the other's
//   backwards       time going backwards within a file where the other device's is in order
//   bad-line        a line that is not a readable audit entry

export type Side = "a" | "b";

/** Where an entry is: its file and 1-based line (files) or record number in that file (index). */
export interface Place {
  readonly file: string;
  readonly line?: number;
  readonly record?: number;
}

/** An entry's identity, for findings about one entry. */
export interface EntryRef {
  readonly type: string;
  readonly requestId: string;
  readonly time: string;
}

export type CompareFinding =
  | (EntryRef & {
      readonly kind: "only-a" | "only-b";
      readonly path: string;
      readonly a?: Place;
      readonly b?: Place;
      readonly message: string;
    })
  | (EntryRef & {
      readonly kind: "field";
      readonly field: string;
      readonly a: Place & { readonly value: string | null; readonly time: string };
      readonly b: Place & { readonly value: string | null; readonly time: string };
      readonly message: string;
    })
  | (EntryRef & {
      readonly kind: "hmac";
      readonly field: string;
      readonly a: Place & { readonly value: string };
      readonly b: Place & { readonly value: string };
      /** The device whose value maps to two values on the other, and what it maps to elsewhere. */
      readonly side: Side;
      readonly elsewhere: { readonly value: string; readonly entries: number };
      readonly message: string;
    })
  | {
      readonly kind: "gap" | "head" | "tail";
      /** The device that has no entries in [from, to]. */
      readonly silent: Side;
      readonly from: string;
      readonly to: string;
      readonly seconds: number;
      /** Entries the other device wrote meanwhile, and the first of them. */
      readonly entries: number;
      readonly first: Place;
      readonly message: string;
    }
  | (EntryRef & {
      readonly kind: "backwards";
      readonly side: Side;
      readonly at: Place;
      readonly previousTime: string;
      readonly message: string;
    })
  | {
      readonly kind: "bad-line";
      readonly side: Side;
      readonly at: Place;
      readonly reason: string;
      readonly message: string;
    };

export type FindingKind = CompareFinding["kind"];

/** `file:line` (or `file#record`) of a place. */
export function placeText(p: Place): string {
  return p.line !== undefined ? `${p.file}:${p.line}` : `${p.file}#${p.record ?? "?"}`;
}

/** The time a finding is about ("" when none), for the table. */
export function findingTime(f: CompareFinding): string {
  switch (f.kind) {
    case "gap":
    case "head":
    case "tail":
      return f.from;
    case "bad-line":
      return "";
    default:
      return f.time;
  }
}

/** The place a finding points at first, for the table. */
export function findingPlace(f: CompareFinding): Place | undefined {
  switch (f.kind) {
    case "only-a":
      return f.a;
    case "only-b":
      return f.b;
    case "field":
    case "hmac":
      return f.a;
    case "gap":
    case "head":
    case "tail":
      return f.first;
    case "backwards":
    case "bad-line":
      return f.at;
  }
}
