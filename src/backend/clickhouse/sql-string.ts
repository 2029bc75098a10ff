// The one way a value becomes SQL text: a ClickHouse string literal. ClickHouse 18.16 has no query
// parameters over HTTP, so every value of a query (a path, a regex, an address's 16 bytes, a
// subquery's thousands of values) goes through sqlString and nothing else; it is tested with
// hostile values (quotes, backslashes, `'); DROP TABLE`, NUL, invalid UTF-8) in
// test/backend/clickhouse/sql-string.test.ts.
//
// Contract: the literal denotes exactly the bytes given (a JS string: its UTF-8). Printable ASCII
// other than `'` and `\` is written as is, for readable `--explain`; every other byte (quotes,
// backslashes, control bytes, NUL, any byte >= 0x80, valid UTF-8 or not) as `\xHH`, which both
// 18.16 and current releases read as that one byte. So no byte of a value can end the literal or
// start an escape the server would read differently.

/** `value` as a ClickHouse string literal, quotes included. */
export function sqlString(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  let out = "'";
  for (const b of bytes) {
    if (b >= 0x20 && b <= 0x7e && b !== 0x27 && b !== 0x5c) out += String.fromCharCode(b);
    else out += "\\x" + (b < 16 ? "0" : "") + b.toString(16);
  }
  return out + "'";
}
