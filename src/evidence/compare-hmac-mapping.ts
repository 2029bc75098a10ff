// HMAC consistency between two devices without either salt. Each device writes
// hmac-sha256(its salt, plaintext): equal plaintexts give equal HMACs on a device, so the HMACs
// of matched entries, taken at the same place, pair A's values with B's one to one. A value
// that pairs with two values of the other device marks an edit: the pair seen in fewer entries is
// the odd one (on a tie, every pair is reported).
//
// Memory: a value is known by 64 bits of its hex (collisions are negligible: ~10^-7 at 5M values),
// in an open-addressing table of typed arrays, 20 bytes a slot, per direction: no object per
// value (one object each made the main thread spend half its time in GC). Only a value in
// conflict gets objects: its pairs' counts and their first few occurrences, in full. The first
// pair of a value is not placed (only counted): when it is the odd one and only its first
// occurrence exists, the other direction usually places it (the partner's value is in conflict
// too); otherwise it is counted in the summary, not listed.
import type { EntryRef, Place, Side } from "./compare-finding.js";

/** Occurrences of a pair kept for the report; the count goes on. */
const OCCURRENCES_KEPT = 5;
const HMAC_PREFIX_CHARS = 12; // "hmac-sha256:"
/** Slot layout: key hi, key lo, partner hi, partner lo, count (CONFLICT: see the conflicts map). */
const SLOT = 5;
const CONFLICT = 0xffffffff;
const INITIAL_SLOTS = 1 << 12;

/** One pair of values in one matched pair of entries. */
export interface HmacOccurrence extends EntryRef {
  readonly field: string;
  readonly aValue: string;
  readonly bValue: string;
  readonly a: Place;
  readonly b: Place;
}

interface Tally {
  /** The partner value in full, or its 64-bit prefix when only counted. */
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

/** 32 bits of hex digits at `at` of `s` (any other character counts as some digit: consistent). */
export function hexWord(s: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const c = s.charCodeAt(i);
    v = (v << 4) | ((c <= 57 ? c - 48 : (c | 32) - 87) & 15);
  }
  return v >>> 0;
}

const keyText = (hi: number, lo: number): string =>
  hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");

class Direction {
  private slots = new Uint32Array(INITIAL_SLOTS * SLOT);
  private used = 0;
  readonly conflicts = new Map<string, Map<string, Tally>>();

  constructor(readonly side: Side) {}

  private find(slots: Uint32Array, hi: number, lo: number): number {
    const mask = slots.length / SLOT - 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const at = i * SLOT;
      if (slots[at + 4] === 0) return at;
      if (slots[at] === hi && slots[at + 1] === lo) return at;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const slots = new Uint32Array(old.length * 2);
    for (let at = 0; at < old.length; at += SLOT) {
      if (old[at + 4] === 0) continue;
      const to = this.find(slots, old[at]!, old[at + 1]!);
      for (let k = 0; k < SLOT; k++) slots[to + k] = old[at + k]!; // no view a slot: measured
    }
    this.slots = slots;
  }

  /** Pair key → partner; true when the key is (now) in conflict and the pair must be tallied. */
  observe(hi: number, lo: number, pHi: number, pLo: number): boolean {
    if (this.used * 2 >= this.slots.length / SLOT) this.grow();
    const s = this.slots;
    const at = this.find(s, hi, lo);
    const n = s[at + 4]!;
    if (n === 0) {
      s[at] = hi;
      s[at + 1] = lo;
      s[at + 2] = pHi;
      s[at + 3] = pLo;
      s[at + 4] = 1;
      this.used++;
      return false;
    }
    if (n === CONFLICT) return true;
    if (s[at + 2] === pHi && s[at + 3] === pLo) {
      s[at + 4] = n + 1;
      return false;
    }
    // A second partner: from now on every pair of this key is counted (and the first few kept).
    const first = keyText(s[at + 2]!, s[at + 3]!);
    const tallies = new Map<string, Tally>([
      [first, { value: `hmac-sha256:${first}…`, n, occurrences: [] }],
    ]);
    this.conflicts.set(keyText(hi, lo), tallies);
    s[at + 4] = CONFLICT;
    return true;
  }

  /** Count a pair; `occurrence` is asked for only when the pair is new or still kept in full. */
  tally(hi: number, lo: number, pHi: number, pLo: number, occurrence: () => HmacOccurrence): void {
    const tallies = this.conflicts.get(keyText(hi, lo));
    if (tallies === undefined) return;
    const k = keyText(pHi, pLo);
    let t = tallies.get(k);
    if (t === undefined) {
      const o = occurrence();
      const partner = this.side === "a" ? o.bValue : o.aValue;
      tallies.set(k, (t = { value: partner, n: 0, occurrences: [] }));
    }
    t.n++;
    if (t.occurrences.length < OCCURRENCES_KEPT) t.occurrences.push(occurrence());
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

  /** Pairs odd by count but never placed (only their first, uncounted occurrence existed). */
  unplaced(): number {
    let n = 0;
    for (const tallies of this.conflicts.values()) {
      const all = [...tallies.values()].sort((x, y) => y.n - x.n);
      for (const t of all.slice(1)) if (t.occurrences.length === 0) n += t.n;
    }
    return n;
  }
}

export class HmacMapping {
  private readonly aToB = new Direction("a");
  private readonly bToA = new Direction("b");

  /**
   * A's value and B's value at the same place of a matched pair, each given as the string holding
   * it and the offset of its `hmac-sha256:`. True when either value is in conflict: then call
   * tally() with the occurrence in full.
   */
  observe(a: string, atA: number, b: string, atB: number): boolean {
    return this.observeWords(
      hexWord(a, atA + HMAC_PREFIX_CHARS),
      hexWord(a, atA + HMAC_PREFIX_CHARS + 8),
      hexWord(b, atB + HMAC_PREFIX_CHARS),
      hexWord(b, atB + HMAC_PREFIX_CHARS + 8),
    );
  }

  /** observe() with each value given as its first 64 bits (hexWord of its two first words). */
  observeWords(aHi: number, aLo: number, bHi: number, bLo: number): boolean {
    const x = this.aToB.observe(aHi, aLo, bHi, bLo);
    const y = this.bToA.observe(bHi, bLo, aHi, aLo);
    return x || y;
  }

  /** Count a pair of values in conflict, and keep where it was (the first few times). */
  tally(occ: HmacOccurrence): void {
    this.tallyWords(
      hexWord(occ.aValue, HMAC_PREFIX_CHARS),
      hexWord(occ.aValue, HMAC_PREFIX_CHARS + 8),
      hexWord(occ.bValue, HMAC_PREFIX_CHARS),
      hexWord(occ.bValue, HMAC_PREFIX_CHARS + 8),
      () => occ,
    );
  }

  /**
   * tally() with the values as words and the occurrence built only if it is kept (the first few
   * times a pair is seen): after an edit, a common value can be in conflict in thousands of entries.
   */
  tallyWords(
    aHi: number,
    aLo: number,
    bHi: number,
    bLo: number,
    occurrence: () => HmacOccurrence,
  ): void {
    let occ: HmacOccurrence | undefined;
    const once = (): HmacOccurrence => (occ ??= occurrence());
    this.aToB.tally(aHi, aLo, bHi, bLo, once);
    this.bToA.tally(bHi, bLo, aHi, aLo, once);
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

  /** Odd pairs that could not be placed (see the header). */
  unplaced(): number {
    return this.aToB.unplaced() + this.bToA.unplaced();
  }
}
