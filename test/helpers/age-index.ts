// Makes an index look as a breakglass older than some fields would have written it: the chosen
// segments lose those fields' term pages, and their records no longer list the fields among the
// ones they indexed (what a build whose catalog lacked them writes). For tests of the index
// evolving with the catalog; it writes the index directly, like index-damage's tests do.
import { DIRECTORY_PAGE, termPageKey, type SegmentMeta } from "../../src/store/format.js";
import { openIndexEnv } from "../../src/store/index-env.js";
import { encodeSegmentMeta, readSegmentMetas } from "../../src/store/meta-records.js";

/** Drop `codes` from the segments `which` picks (default: all); returns the ids aged. */
export async function dropFields(
  db: string,
  codes: readonly number[],
  which: (segment: SegmentMeta, index: number) => boolean = () => true,
): Promise<number[]> {
  const env = openIndexEnv(db, { create: false });
  const aged: number[] = [];
  try {
    const segments = readSegmentMetas(env).filter(which);
    env.root.transactionSync(() => {
      for (const s of segments) {
        const fieldPages: Record<number, number> = { ...s.fieldPages };
        const fieldRevisions: Record<number, number> = { ...s.fieldRevisions };
        for (const code of codes) {
          for (let p = 0; p < (s.fieldPages[code] ?? 0); p++) {
            env.terms.removeSync(termPageKey(code, s.id, p));
          }
          if (s.fieldPages[code]) env.terms.removeSync(termPageKey(code, s.id, DIRECTORY_PAGE));
          delete fieldPages[code];
          delete fieldRevisions[code];
        }
        const next: SegmentMeta = {
          ...s,
          fieldPages,
          fieldRevisions,
          untermedFields: s.untermedFields?.filter((c) => !codes.includes(c)),
        };
        env.segments.putSync(s.id, encodeSegmentMeta(next));
        aged.push(s.id);
      }
    });
  } finally {
    await env.close();
  }
  return aged;
}
