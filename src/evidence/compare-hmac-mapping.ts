// HMAC consistency between two devices without either salt. Each device writes
// hmac-sha256(its salt, plaintext): equal plaintexts give equal HMACs on a device, so the HMACs
// of matched entries, taken at the same place, pair A's values with B's one to one. A value
// that pairs with two values of the other device marks an edit: the pair seen in fewer entries is
// the odd one (on a tie, every pair is reported). Memory: one small record per distinct HMAC
// value and direction (values are keyed by 64 bits of their hex: collisions are negligible);
// the pairs of a value in conflict are kept in full (a few occurrences each).
import type { EntryRef, Place, Side } from "./compare-finding.js";

/** Occurrences of a pair kept for the report; the count goes on. */
const OCCURRENCES_KEPT = 5;

/** One pair of values in one matched pair of entries. */
export interface HmacOccurrence extends EntryRef {
  readonly field: string;
  readonly aValue: string;
  readonly bValue: string;
  readonly a: Place;
  readonly b: Place;
}

/** A value's first partner, compactly: where it was first seen is an occurrence kept lazily. */
interface Link {
  readonly other: string;
  n: number;
  readonly first: HmacOccurrence | undefined;
}

interface Tally {
  readonly value: string;
  n: number;
  readonly occurrences: HmacOccurrence[];
}

/** A pair found odd: the value `side` holds, its partner here, and its usual partner. */
export interface HmacConflict {
  readonly side: Side;
  readonly occurrence: HmacOccurrence;
  readonly elsewhere: { readonly value: string; readonly entries: number };
}

const short = (v: string): string => v.slice(12, 28);

class Direction {
  private readonly links = new Map<string, Link>();
  readonly conflicts = new Map<string, Map<string, Tally>>();

  constructor(
    readonly side: Side,
    private readonly keepFirst: boolean,
  ) {}

  observe(from: string, to: string, occ: () => HmacOccurrence): void {
    const k = short(from);
    const t = short(to);
    const tallies = this.conflicts.get(k);
    if (tallies !== undefined) {
      let tally = tallies.get(t);
      if (tally === undefined) tallies.set(t, (tally = { value: to, n: 0, occurrences: [] }));
      tally.n++;
      if (tally.occurrences.length < OCCURRENCES_KEPT) tally.occurrences.push(occ());
      return;
    }
    const link = this.links.get(k);
    if (link === undefined) {
      this.links.set(k, { other: t, n: 1, first: this.keepFirst ? occ() : undefined });
      return;
    }
    if (link.other === t) {
      link.n++;
      return;
    }
    // A second partner: from now on every pair of this value is counted and kept.
    const first: Tally = {
      value: link.first ? (this.side === "a" ? link.first.bValue : link.first.aValue) : t,
      n: link.n,
      occurrences: link.first ? [link.first] : [],
    };
    this.conflicts.set(
      k,
      new Map([
        [link.other, first],
        [t, { value: to, n: 1, occurrences: [occ()] }],
      ]),
    );
    this.links.delete(k);
  }

  /** The odd pairs: every pair of a conflicted value but its most frequent one. */
  *odd(): Generator<HmacConflict> {
    for (const tallies of this.conflicts.values()) {
      const all = [...tallies.values()].sort((x, y) => y.n - x.n);
      const top = all[0]!;
      const tie = all.length > 1 && all[1]!.n === top.n;
      for (const tally of tie ? all : all.slice(1)) {
        const usual = tally === top ? all[1]! : top;
        for (const occurrence of tally.occurrences) {
          yield {
            side: this.side,
            occurrence,
            elsewhere: { value: usual.value, entries: usual.n },
          };
        }
      }
    }
  }
}

export class HmacMapping {
  private readonly aToB: Direction;
  private readonly bToA: Direction;

  /**
   * `keepFirst`: keep the first occurrence of every value (memory per distinct value), so an odd
   * pair that came first can be located too. Without it, such a pair is found but not placed.
   */
  constructor(keepFirst = true) {
    this.aToB = new Direction("a", keepFirst);
    this.bToA = new Direction("b", keepFirst);
  }

  /** A's value `a` and B's value `b` at the same place of a matched pair. */
  observe(a: string, b: string, occ: () => HmacOccurrence): void {
    let made: HmacOccurrence | undefined;
    const once = (): HmacOccurrence => (made ??= occ());
    this.aToB.observe(a, b, once);
    this.bToA.observe(b, a, once);
  }

  /** The odd pairs, one per place (a value odd both ways is reported once). */
  conflicts(): HmacConflict[] {
    const seen = new Set<string>();
    const out: HmacConflict[] = [];
    for (const c of [...this.aToB.odd(), ...this.bToA.odd()]) {
      const o = c.occurrence;
      const id = `${o.a.file}:${o.a.line ?? o.a.record}:${o.field}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(c);
    }
    return out;
  }
}
