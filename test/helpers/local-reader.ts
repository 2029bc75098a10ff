// The LMDB reader under an index opened with openIndex, for tests that look at segments and term
// dictionaries directly (the public API keeps storage types out of sight).
import type { BreakglassIndex } from "../../src/index-api.js";
import { LocalBackend } from "../../src/query/local-backend.js";
import type { IndexReader } from "../../src/store/index-reader.js";

export function localReader(index: BreakglassIndex): IndexReader {
  const backend = index.engine.backend;
  if (!(backend instanceof LocalBackend)) throw new Error("not a local index");
  return backend.reader;
}
