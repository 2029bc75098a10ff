// The heart of `compare`: two devices' entries, fed batch by batch in roughly time order, matched
// by type and request id (the same time when the devices carry the same time, Vault ≥ 1.16.2,
// else the nearest), and every disagreement turned into a finding (compare-finding.ts).
//
// Streaming, with bounded memory: an entry waits for its partner in a map keyed by type and
// request id, and gives up once both devices have read MATCH_WINDOW_MS past its time; matched
// entries are compared at once and dropped. Kept to the end: entries that found no partner
// (small records, so gaps, heads and tails can be told from single deletions), the silences of
// each device, and the HMAC mapping (compare-hmac-mapping.ts).
//
// An entry read in place (compare-in-place.ts) keeps its chunk's memory until it is matched or
// given up; a matched pair whose bytes agree outside their masks is compared by its HMAC words
// alone, any other pair is parsed again here and compared leaf by leaf. At most
// MAX_HELD_CHUNKS chunks a device are held: past that, the entries still waiting in the oldest
// (an entry with no time, or one far ahead of the log, waits to the end) are flattened and its
// memory let go, so memory stays that of the waiting entries, as before.
import { FIELD_SEP, LEAF_SEP, leaves, splitKey, summarizeEntry } from "./compare-entry.js";
import type { CompareFinding, Place, Side } from "./compare-finding.js";
import { HmacMapping, type HmacOccurrence } from "./compare-hmac-mapping.js";
import { sameOutsideMasks, type InPlaceColumns } from "./compare-in-place.js";
import type { DeviceBatch } from "./compare-device.js";

/**
 * How long an entry waits for its partner, in the devices' time: a Vault writes an entry to all its
 * devices within milliseconds; a minute leaves room for a slow device and a slow clock.
 */
export const MATCH_WINDOW_MS = 60_000;
/** Matched pairs looked at to tell whether both devices carry the same time. */
const TIME_SAMPLE = 32;
/** Share of the sample with equal times that means "the same time on every device". */
const SAME_TIME_SHARE = 0.9;
/** Devices with their own times (Vault < 1.16.2): a bigger difference is a finding. */
export const NEAREST_TIME_SKEW_MS = 1000;

/** Chunks a device's waiting entries may hold (4 MiB each): the usual case needs one or two. */
export const MAX_HELD_CHUNKS = 8;

/** A chunk's memory while entries read in place from it are held; released after the last. */
class HeldChunk {
  private readonly entries: Held[] = [];
  /** Entries holding the memory, plus one while the batch is being added (see added()). */
  private pending = 1;

  constructor(
    readonly bytes: Buffer,
    readonly columns: InPlaceColumns,
    private readonly release: (() => void) | undefined,
  ) {}

  get released(): boolean {
    return this.pending === 0;
  }

  hold(e: Held): void {
    this.entries.push(e);
    this.pending++;
  }

  /** The batch is added: from now on the last entry done lets the memory go. */
  added(): void {
    if (--this.pending === 0) this.release?.();
  }

  /** Entry `e` is done with its bytes (compared or given up). */
  done(e: Held): void {
    e.chunk = undefined;
    if (--this.pending === 0) this.release?.();
  }

  /** Flatten the entries still waiting, then let the memory go. */
  evict(): void {
    for (const e of this.entries) if (e.chunk === this) this.done(flatten(e));
  }
}

interface Held {
  readonly side: 0 | 1;
  readonly key: string;
  readonly time: string;
  readonly timeMs: number;
  readonly path: string;
  /** Flattened leaves (compare-entry.ts): given, or made from the bytes when first needed. */
  plain: string;
  hmacs: string;
  /** The chunk of an entry read in place, and its slot there; undefined when flattened. */
  chunk: HeldChunk | undefined;
  readonly slot: number;
  flattened: boolean;
  readonly place: Place;
  /** The time of the line before in the same file, when this one's is earlier. */
  readonly backwardsFrom: string | undefined;
  matched: boolean;
}

/** The leaves of an entry read in place, parsed again from its bytes (once). */
function flatten(e: Held): Held {
  if (e.flattened || e.chunk === undefined) return e;
  const { bytes, columns } = e.chunk;
  const text = bytes.toString("latin1", columns.jsonStart[e.slot]!, columns.jsonEnd[e.slot]!);
  const s = summarizeEntry(JSON.parse(text) as Record<string, unknown>);
  e.plain = s.plain;
  e.hmacs = s.hmacs;
  e.flattened = true;
  return e;
}

/** An entry left without a partner: what a finding about it needs. */
interface Lone {
  readonly side: 0 | 1;
  readonly key: string;
  readonly time: string;
  readonly timeMs: number;
  readonly path: string;
  readonly place: Place;
}

export interface CompareCounts {
  entries: [number, number];
  matched: number;
  badLines: [number, number];
  /** "same": both devices carry the same time (Vault ≥ 1.16.2); "nearest": their own. */
  timeMode: "same" | "nearest" | "unknown";
  /** HMAC pairs found odd but not placed (compare-hmac-mapping.ts): a disagreement too. */
  unplacedHmacPairs: number;
  byKind: Record<string, number>;
}

const SIDES: readonly Side[] = ["a", "b"];

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : "";
}

export class CompareMatcher {
  private readonly pending: [Map<string, Held[]>, Map<string, Held[]>] = [new Map(), new Map()];
  /** Waiting entries by time, earliest first (matched ones are dropped when they surface). */
  private readonly queues: [TimeHeap, TimeHeap] = [new TimeHeap(), new TimeHeap()];
  /** Waiting entries with no time: they wait to the end (an entry never blocks another). */
  private readonly untimed: [Held[], Held[]] = [[], []];
  /** How far each device has been read, in its time (Infinity once it has ended). */
  private readonly frontier: [number, number] = [-Infinity, -Infinity];
  /** Latest entry time read on each device (for its silences). */
  private readonly latest: [number, number] = [-Infinity, -Infinity];
  private readonly firstMs: [number, number] = [Infinity, Infinity];
  private readonly lastMs: [number, number] = [-Infinity, -Infinity];
  private readonly prevInFile: [
    { fileNo: number; ms: number; time: string },
    { fileNo: number; ms: number; time: string },
  ] = [
    { fileNo: -1, ms: NaN, time: "" },
    { fileNo: -1, ms: NaN, time: "" },
  ];
  /** Windows of at least the gap with no entry, per device: [from, to] in ms. */
  private readonly silences: [[number, number][], [number, number][]] = [[], []];
  private readonly lone: Lone[] = [];
  private heldChunks: [HeldChunk[], HeldChunk[]] = [[], []];
  private readonly hmac = new HmacMapping();
  private readonly timeSample: { equal: boolean; a: Held; b: Held }[] = [];
  private timeMode: "same" | "nearest" | undefined;
  readonly counts: CompareCounts = {
    entries: [0, 0],
    matched: 0,
    badLines: [0, 0],
    timeMode: "unknown",
    unplacedHmacPairs: 0,
    byKind: {},
  };

  constructor(
    private readonly gapMs: number,
    private readonly emit: (f: CompareFinding) => void,
  ) {}

  private report(f: CompareFinding): void {
    this.counts.byKind[f.kind] = (this.counts.byKind[f.kind] ?? 0) + 1;
    this.emit(f);
  }

  /** Entries the matcher holds now: waiting for a partner, or matched but not yet let go. */
  get waiting(): number {
    return (
      this.queues[0].size + this.queues[1].size + this.untimed[0].length + this.untimed[1].length
    );
  }

  /** A batch of one device's entries (its file's lines in order). */
  add(side: 0 | 1, batch: DeviceBatch, unit: "line" | "record"): void {
    const c = batch.chunk;
    const chunk = this.holdChunk(batch);
    const placeOf = (local: number): Place =>
      unit === "line"
        ? { file: batch.file, line: batch.firstLine + local }
        : { file: batch.file, record: batch.firstLine + local };
    for (const bad of c.bad) {
      this.counts.badLines[side]++;
      this.report({
        kind: "bad-line",
        side: SIDES[side]!,
        at: placeOf(bad.line),
        reason: bad.reason,
        message: `${SIDES[side]!.toUpperCase()} has an unreadable line: ${bad.reason}`,
      });
    }
    const prev = this.prevInFile[side];
    if (prev.fileNo !== batch.fileNo) {
      prev.fileNo = batch.fileNo;
      prev.ms = NaN;
    }
    for (let i = 0; i < c.keys.length; i++) {
      const timeMs = c.timeMs[i]!;
      const time = c.times[i]!;
      const backwardsFrom = timeMs < prev.ms ? prev.time : undefined;
      if (!Number.isNaN(timeMs)) {
        prev.ms = timeMs;
        prev.time = time;
        this.observeTime(side, timeMs);
      }
      this.counts.entries[side]++;
      const held: Held = {
        side,
        key: c.keys[i]!,
        time,
        timeMs,
        path: c.paths[i]!,
        plain: c.plains[i]!,
        hmacs: c.hmacs[i]!,
        chunk: chunk !== undefined && chunk.columns.jsonStart[i]! >= 0 ? chunk : undefined,
        slot: i,
        flattened: false,
        place: placeOf(c.lineOf[i]!),
        backwardsFrom,
        matched: false,
      };
      held.chunk?.hold(held);
      this.offer(held);
    }
    this.expire();
    if (chunk !== undefined) {
      chunk.added();
      this.keepChunk(side, chunk);
    }
  }

  /** The batch's memory, held while its entries read in place wait (released at once if none). */
  private holdChunk(batch: DeviceBatch): HeldChunk | undefined {
    const columns = batch.chunk.inPlace;
    if (columns === undefined || !columns.jsonStart.some((start) => start >= 0)) {
      batch.release?.();
      return undefined;
    }
    if (batch.bytes === undefined) {
      throw new Error("bug: entries read in place without their bytes");
    }
    return new HeldChunk(batch.bytes, columns, batch.release);
  }

  /** A chunk some of whose entries still wait; the oldest is let go past MAX_HELD_CHUNKS. */
  private keepChunk(side: 0 | 1, chunk: HeldChunk): void {
    const held = this.heldChunks[side].filter((c) => !c.released);
    if (!chunk.released) held.push(chunk);
    while (held.length > MAX_HELD_CHUNKS) held.shift()!.evict();
    this.heldChunks[side] = held;
  }

  /** Chunks whose memory waiting entries hold now. */
  get chunksHeld(): number {
    let n = 0;
    for (const side of this.heldChunks) for (const c of side) if (!c.released) n++;
    return n;
  }

  /**
   * The device's next batch starts at `ms`: none of its entries to come is much earlier, so
   * entries of the other device older than that can stop waiting (during an outage of this
   * device, the other's entries do not pile up until it writes again).
   */
  nextStarts(side: 0 | 1, ms: number): void {
    if (ms > this.frontier[side]) {
      this.frontier[side] = ms;
      this.expire();
    }
  }

  /** One device has no more entries. */
  ended(side: 0 | 1): void {
    this.frontier[side] = Infinity;
    this.expire();
  }

  private observeTime(side: 0 | 1, ms: number): void {
    const last = this.latest[side];
    if (Number.isFinite(last) && ms - last >= this.gapMs) this.silences[side].push([last, ms]);
    if (ms > last) this.latest[side] = ms;
    if (ms > this.frontier[side]) this.frontier[side] = ms;
    if (ms < this.firstMs[side]) this.firstMs[side] = ms;
    if (ms > this.lastMs[side]) this.lastMs[side] = ms;
  }

  private offer(e: Held): void {
    const other = this.pending[e.side === 0 ? 1 : 0];
    const candidates = other.get(e.key);
    if (candidates !== undefined) {
      let best = 0;
      let bestDelta = Infinity;
      for (let i = 0; i < candidates.length; i++) {
        const c = candidates[i]!;
        if (c.time === e.time) {
          best = i;
          break;
        }
        const delta = Math.abs(c.timeMs - e.timeMs);
        if (delta < bestDelta || (Number.isNaN(delta) && bestDelta === Infinity)) {
          best = i;
          bestDelta = Number.isNaN(delta) ? Infinity : delta;
        }
      }
      const partner = candidates[best]!;
      candidates.splice(best, 1);
      if (candidates.length === 0) other.delete(e.key);
      partner.matched = true;
      e.matched = true;
      this.counts.matched++;
      if (e.side === 0) this.comparePair(e, partner);
      else this.comparePair(partner, e);
      return;
    }
    const mine = this.pending[e.side];
    const list = mine.get(e.key);
    if (list === undefined) mine.set(e.key, [e]);
    else list.push(e);
    if (Number.isNaN(e.timeMs)) this.untimed[e.side].push(e);
    else this.queues[e.side].push(e);
  }

  /** Entries that waited long enough on both devices' clocks have no partner. */
  private expire(): void {
    const cutoff = Math.min(this.frontier[0], this.frontier[1]) - MATCH_WINDOW_MS;
    for (const side of [0, 1] as const) {
      const queue = this.queues[side];
      for (let e = queue.peek(); e !== undefined; e = queue.peek()) {
        if (!e.matched && !(e.timeMs < cutoff)) break;
        queue.pop();
        if (!e.matched) this.giveUp(e);
      }
      if (cutoff === Infinity) {
        for (const e of this.untimed[side]) if (!e.matched) this.giveUp(e);
        this.untimed[side] = [];
      }
    }
  }

  /** An entry that found no partner in time. */
  private giveUp(e: Held): void {
    const list = this.pending[e.side].get(e.key);
    if (list !== undefined) {
      const at = list.indexOf(e);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.pending[e.side].delete(e.key);
    }
    e.chunk?.done(e);
    this.lone.push({
      side: e.side,
      key: e.key,
      time: e.time,
      timeMs: e.timeMs,
      path: e.path,
      place: e.place,
    });
    if (e.backwardsFrom !== undefined) this.backwards(e, e.backwardsFrom);
  }

  private backwards(e: Held, previousTime: string): void {
    const { type, requestId } = splitKey(e.key);
    const side = SIDES[e.side]!;
    this.report({
      kind: "backwards",
      side,
      type,
      requestId,
      time: e.time,
      at: e.place,
      previousTime,
      message: `time goes backwards on ${side.toUpperCase()} (${previousTime} → ${e.time}): lines moved or inserted`,
    });
  }

  private comparePair(a: Held, b: Held): void {
    if (a.time !== b.time) this.timeDiffers(a, b);
    else if (this.timeSample.length < TIME_SAMPLE && a.time !== "") this.sampleTime(a, b, true);
    if (!this.compareInPlace(a, b)) this.compareFlattened(flatten(a), flatten(b));
    if (a.backwardsFrom !== undefined && b.backwardsFrom === undefined) {
      this.backwards(a, a.backwardsFrom);
    }
    if (b.backwardsFrom !== undefined && a.backwardsFrom === undefined) {
      this.backwards(b, b.backwardsFrom);
    }
    a.chunk?.done(a);
    b.chunk?.done(b);
  }

  /**
   * A pair both read in place whose bytes agree outside their masks: equal plain leaves, HMACs at
   * the same places, so only the HMAC words are looked at. False (nothing done) for any other.
   */
  private compareInPlace(a: Held, b: Held): boolean {
    const ca = a.chunk;
    const cb = b.chunk;
    if (ca === undefined || cb === undefined || !sameOutsideMasks(ca, a.slot, cb, b.slot)) {
      return false;
    }
    const wa = ca.columns.words;
    const wb = cb.columns.words;
    let ka = 2 * ca.columns.wordFrom[a.slot]!;
    let kb = 2 * cb.columns.wordFrom[b.slot]!;
    const endA = 2 * ca.columns.wordFrom[a.slot + 1]!;
    if (endA - ka !== 2 * cb.columns.wordFrom[b.slot + 1]! - kb) return false;
    for (let n = 0; ka < endA; ka += 2, kb += 2, n++) {
      if (this.hmac.observeWords(wa[ka]!, wa[ka + 1]!, wb[kb]!, wb[kb + 1]!)) {
        const at = n;
        this.hmac.tallyWords(wa[ka]!, wa[ka + 1]!, wb[kb]!, wb[kb + 1]!, () =>
          this.hmacOccurrence(flatten(a), flatten(b), at),
        );
      }
    }
    return true;
  }

  /** The occurrence of the `n`th HMAC leaf of a pair whose leaves sit at the same places. */
  private hmacOccurrence(a: Held, b: Held, n: number): HmacOccurrence {
    const la = hmacLeaves(a.hmacs)[n]!;
    const lb = hmacLeaves(b.hmacs)[n]!;
    const { type, requestId } = splitKey(a.key);
    return {
      type,
      requestId,
      time: a.time || b.time,
      field: la[0],
      aValue: la[1],
      bValue: lb[1],
      a: a.place,
      b: b.place,
    };
  }

  /** A pair compared leaf by leaf (their flattened strings). */
  private compareFlattened(a: Held, b: Held): void {
    const { type, requestId } = splitKey(a.key);
    const ref = { type, requestId, time: a.time || b.time };
    if (a.plain !== b.plain) {
      const la = leaves(a.plain);
      const lb = leaves(b.plain);
      for (const field of new Set([...la.keys(), ...lb.keys()])) {
        const va = la.get(field);
        const vb = lb.get(field);
        if (va === vb) continue;
        this.fieldFinding(ref, field, a, va, b, vb);
      }
    }
    if (a.hmacs !== "" || b.hmacs !== "") this.compareHmacs(ref, a, b);
  }

  private fieldFinding(
    ref: { type: string; requestId: string; time: string },
    field: string,
    a: Held,
    va: string | undefined,
    b: Held,
    vb: string | undefined,
  ): void {
    const show = (v: string | undefined): string | null => {
      if (v === undefined) return null;
      try {
        const parsed = JSON.parse(v) as unknown;
        return typeof parsed === "string" ? parsed : v;
      } catch {
        return v;
      }
    };
    const sa = show(va);
    const sb = show(vb);
    this.report({
      kind: "field",
      ...ref,
      field,
      a: { ...a.place, value: sa, time: a.time },
      b: { ...b.place, value: sb, time: b.time },
      message: `${field} differs: A ${sa === null ? "has none" : JSON.stringify(sa)}, B ${sb === null ? "has none" : JSON.stringify(sb)}`,
    });
  }

  private compareHmacs(
    ref: { type: string; requestId: string; time: string },
    a: Held,
    b: Held,
  ): void {
    const ha = a.hmacs;
    const hb = b.hmacs;
    const occurrence = (field: string, va: string, vb: string): HmacOccurrence => ({
      ...ref,
      field,
      aValue: va,
      bValue: vb,
      a: a.place,
      b: b.place,
    });
    if (sameLocations(ha, hb)) {
      // The usual case: walk both in step, no allocation unless a value is in conflict.
      let ia = 0;
      let ib = 0;
      while (ia < ha.length) {
        const sa = ha.indexOf(FIELD_SEP, ia);
        const ea = ha.indexOf(LEAF_SEP, sa);
        const sb = hb.indexOf(FIELD_SEP, ib);
        const eb = hb.indexOf(LEAF_SEP, sb);
        if (this.hmac.observe(ha, sa + 1, hb, sb + 1)) {
          this.hmac.tally(occurrence(ha.slice(ia, sa), ha.slice(sa + 1, ea), hb.slice(sb + 1, eb)));
        }
        ia = ea + 1;
        ib = eb + 1;
      }
      return;
    }
    const pairsA = hmacLeaves(ha);
    const pairsB = hmacLeaves(hb);
    const mb = new Map(pairsB);
    const ma = new Map(pairsA);
    for (const [field, va] of pairsA) {
      const vb = mb.get(field);
      if (vb === undefined) this.fieldFinding(ref, field, a, JSON.stringify(va), b, undefined);
      else if (this.hmac.observe(va, 0, vb, 0)) this.hmac.tally(occurrence(field, va, vb));
    }
    for (const [field, vb] of pairsB) {
      if (!ma.has(field)) this.fieldFinding(ref, field, a, undefined, b, JSON.stringify(vb));
    }
  }

  private sampleTime(a: Held, b: Held, equal: boolean): void {
    this.timeSample.push({ equal, a, b });
    if (this.timeSample.length === TIME_SAMPLE) this.decideTimeMode();
  }

  private timeDiffers(a: Held, b: Held): void {
    if (this.timeMode === undefined) {
      if (a.time !== "" && b.time !== "") return this.sampleTime(a, b, false);
      this.timeSample.push({ equal: false, a, b });
      return;
    }
    this.timeFinding(a, b);
  }

  private decideTimeMode(): void {
    if (this.timeMode !== undefined) return;
    const sampled = this.timeSample.filter((s) => s.a.time !== "" && s.b.time !== "");
    const equal = sampled.filter((s) => s.equal).length;
    this.timeMode =
      sampled.length > 0 && equal >= SAME_TIME_SHARE * sampled.length ? "same" : "nearest";
    this.counts.timeMode = sampled.length > 0 ? this.timeMode : "unknown";
    for (const s of this.timeSample) if (!s.equal) this.timeFinding(s.a, s.b);
    this.timeSample.length = 0;
  }

  private timeFinding(a: Held, b: Held): void {
    const delta = Math.abs(a.timeMs - b.timeMs);
    if (this.timeMode === "nearest" && delta <= NEAREST_TIME_SKEW_MS) return;
    const { type, requestId } = splitKey(a.key);
    const show = (t: string): string | null => (t === "" ? null : t);
    this.report({
      kind: "field",
      type,
      requestId,
      time: a.time || b.time,
      field: "time",
      a: { ...a.place, value: show(a.time), time: a.time },
      b: { ...b.place, value: show(b.time), time: b.time },
      message:
        `time differs: A ${a.time || "has none"}, B ${b.time || "has none"}` +
        (Number.isFinite(delta) ? ` (${(delta / 1000).toFixed(3)} s)` : ""),
    });
  }

  /** Both devices have ended: what is left over becomes findings. */
  finish(): CompareCounts {
    this.ended(0);
    this.ended(1);
    this.decideTimeMode();
    for (const c of this.hmac.conflicts()) {
      const o = c.occurrence;
      const mine = c.side === "a" ? o.aValue : o.bValue;
      const theirs = c.side === "a" ? o.bValue : o.aValue;
      const other = c.side === "a" ? "B" : "A";
      this.report({
        kind: "hmac",
        type: o.type,
        requestId: o.requestId,
        time: o.time,
        field: o.field,
        a: { ...o.a, value: o.aValue },
        b: { ...o.b, value: o.bValue },
        side: c.side,
        elsewhere: c.elsewhere,
        message:
          `${o.field}: ${c.side.toUpperCase()}'s ${mine.slice(0, 24)}… pairs with ${other}'s ` +
          `${theirs.slice(0, 24)}… here but with ${c.elsewhere.value.slice(0, 24)}… in ` +
          `${c.elsewhere.entries} other entries: an HMAC was edited`,
      });
    }
    this.counts.unplacedHmacPairs = this.hmac.unplaced();
    this.reportLone();
    return this.counts;
  }

  /** Lone entries: in a window where the other device is silent (gap, head, tail), or single. */
  private reportLone(): void {
    const lone = this.lone.sort((x, y) => x.timeMs - y.timeMs || x.side - y.side);
    const groups = new Map<
      string,
      { kind: "gap" | "head" | "tail"; silent: 0 | 1; from: number; to: number; members: Lone[] }
    >();
    const single: Lone[] = [];
    for (const e of lone) {
      const other = e.side === 0 ? 1 : 0;
      let group: { kind: "gap" | "head" | "tail"; from: number; to: number } | undefined;
      if (this.counts.entries[other] === 0 || e.timeMs < this.firstMs[other]) {
        group = { kind: "head", from: this.firstMs[e.side], to: this.firstMs[other] };
      } else if (e.timeMs > this.lastMs[other]) {
        group = { kind: "tail", from: this.lastMs[other], to: this.lastMs[e.side] };
      } else {
        const s = this.silences[other].find(([from, to]) => e.timeMs > from && e.timeMs < to);
        if (s !== undefined) group = { kind: "gap", from: s[0], to: s[1] };
      }
      if (group === undefined) {
        single.push(e);
        continue;
      }
      const id = `${group.kind}:${other}:${group.from}`;
      let g = groups.get(id);
      if (g === undefined) groups.set(id, (g = { ...group, silent: other, members: [] }));
      g.members.push(e);
    }
    for (const g of groups.values()) {
      const silent = SIDES[g.silent]!;
      const talking = silent === "a" ? "B" : "A";
      const from = Number.isFinite(g.from) ? g.from : g.members[0]!.timeMs;
      const to = Number.isFinite(g.to) ? g.to : g.members[g.members.length - 1]!.timeMs;
      const seconds = Math.round((to - from) / 1000);
      const n = g.members.length;
      const what =
        g.kind === "gap"
          ? `${silent.toUpperCase()} wrote nothing for ${seconds} s while ${talking} wrote ${n} entries: an outage or a cut`
          : g.kind === "head"
            ? this.counts.entries[g.silent] === 0
              ? `${silent.toUpperCase()} has no entries; ${talking} has ${n}`
              : `${silent.toUpperCase()} starts later: ${n} entries of ${talking} before its first (older files rotated away or not given?)`
            : `${silent.toUpperCase()} ends earlier: ${n} entries of ${talking} after its last (truncated, or still being written?)`;
      this.report({
        kind: g.kind,
        silent,
        from: iso(from),
        to: iso(to),
        seconds,
        entries: n,
        first: g.members[0]!.place,
        message: what,
      });
    }
    for (const e of single) {
      const { type, requestId } = splitKey(e.key);
      const side = SIDES[e.side]!;
      const other = side === "a" ? "B" : "A";
      this.report({
        kind: side === "a" ? "only-a" : "only-b",
        type,
        requestId,
        time: e.time,
        path: e.path,
        ...(side === "a" ? { a: e.place } : { b: e.place }),
        message: `on ${side.toUpperCase()} only: deleted from ${other}, or inserted into ${side.toUpperCase()}`,
      });
    }
  }
}

/** A binary min-heap of entries by time (ties in arrival order do not matter). */
class TimeHeap {
  private readonly items: Held[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Held | undefined {
    return this.items[0];
  }

  push(e: Held): void {
    const a = this.items;
    let i = a.push(e) - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (a[up]!.timeMs <= e.timeMs) break;
      a[i] = a[up]!;
      i = up;
    }
    a[i] = e;
  }

  pop(): Held | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && a[r]!.timeMs < a[l]!.timeMs ? r : l;
      if (a[c]!.timeMs >= last.timeMs) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/** True when two flattened strings hold the same locations in the same order. */
function sameLocations(ha: string, hb: string): boolean {
  let ia = 0;
  let ib = 0;
  while (ia < ha.length && ib < hb.length) {
    const sa = ha.indexOf(FIELD_SEP, ia);
    const sb = hb.indexOf(FIELD_SEP, ib);
    if (sa - ia !== sb - ib) return false;
    for (let k = 0; k < sa - ia; k++) {
      if (ha.charCodeAt(ia + k) !== hb.charCodeAt(ib + k)) return false;
    }
    ia = ha.indexOf(LEAF_SEP, sa) + 1;
    ib = hb.indexOf(LEAF_SEP, sb) + 1;
  }
  return ia >= ha.length && ib >= hb.length;
}

/** `[location, value]` of each HMAC'd leaf, in order. */
function hmacLeaves(flat: string): [string, string][] {
  const out: [string, string][] = [];
  let at = 0;
  while (at < flat.length) {
    const end = flat.indexOf(LEAF_SEP, at);
    const sep = flat.indexOf(FIELD_SEP, at);
    out.push([flat.slice(at, sep), flat.slice(sep + 1, end)]);
    at = end + 1;
  }
  return out;
}
