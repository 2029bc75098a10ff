// Reading a segment's dictionary from the store: what its line blocks decode against
// (codec/record-block.ts). A segment of part blocks has none.
import type { Transaction } from "lmdb";
import { SegmentDictionary } from "../codec/record-block.js";
import { blockKey, DICTIONARY_BLOCK, type SegmentMeta } from "./format.js";
import { asDamage, damagedIndex, readingIndex } from "./index-damage.js";
import type { IndexEnv } from "./index-env.js";

/** The stored value of the segment's dictionary (bytes and CRC), or undefined when it has none. */
export function dictionaryValue(
  env: IndexEnv,
  segment: SegmentMeta,
  txn?: Transaction,
): Buffer | undefined {
  const key = blockKey(segment.id, DICTIONARY_BLOCK);
  // lmdb's typings omit getBinary's options; a reader passes its pinned snapshot.
  const get = env.blocks.getBinary as (k: Buffer, o?: { transaction: Transaction }) => Buffer;
  return readingIndex(env.dir, `segment ${segment.id}'s dictionary`, () =>
    get.call(env.blocks, key, txn === undefined ? undefined : { transaction: txn }),
  );
}

/** The segment's dictionary, verified; damage (or its absence) is an index damage error. */
export function readDictionary(
  env: IndexEnv,
  segment: SegmentMeta,
  txn?: Transaction,
): SegmentDictionary {
  const where = `segment ${segment.id}'s dictionary`;
  const value = dictionaryValue(env, segment, txn);
  if (!value) throw damagedIndex(env.dir, `${where} is missing`);
  try {
    return new SegmentDictionary(value);
  } catch (err) {
    throw asDamage(err, env.dir, where);
  }
}
