// Where the index lives: `--db DIR`, else $BREAKGLASS_DB, else ./.breakglass (README.md, "Commands").
import path from "node:path";

export function resolveDbDir(flag: string | undefined): string {
  return path.resolve(flag ?? process.env.BREAKGLASS_DB ?? ".breakglass");
}

export const DB_OPTION_FLAGS = "--db <dir>";
export const DB_OPTION_HELP = "index directory (default: $BREAKGLASS_DB, else ./.breakglass)";
