// The access token every request to `breakglass serve` must carry: made fresh at start (32
// random bytes, base64url) or read from --token-file. Compared in constant time. Never logged:
// only the start URL printed on the terminal holds it.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs/promises";
import { UsageError } from "../errors.js";

/** Shorter tokens are refused from --token-file: the token is the only thing between a local
 * user's browser tabs and the index. */
export const MIN_TOKEN_CHARS = 16;

export function newAccessToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The token in FILE (surrounding whitespace dropped). */
export async function readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --token-file ${file}: ${(err as Error).message}`);
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_CHARS || /[\s;,"\\]/.test(token)) {
    throw new UsageError(
      `--token-file ${file}: the token must be at least ${MIN_TOKEN_CHARS} characters, ` +
        "with no space, comma, semicolon, quote or backslash",
      "e.g. head -c 32 /dev/urandom | base64 > FILE",
    );
  }
  return token;
}

/** Compares a presented token with the server's in constant time (digests of equal length). */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(presented).digest();
  return timingSafeEqual(a, b);
}
