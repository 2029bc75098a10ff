// The `--input` choices and the framings a line may come in. Pure; safe in workers.
//
// A framing wraps each audit entry (a JSON object) in something else: a syslog header, a
// container runtime's envelope, journald's export; or the entry is written as XML (JSONx). `auto`
// detects the framing per file and per line; any other mode accepts only that framing (plain JSON lines always pass).

/** What `--input` accepts. */
export const INPUT_MODES = ["auto", "json", "syslog", "docker", "cri", "jsonx"] as const;
export type InputMode = (typeof INPUT_MODES)[number];

/** The framings a line is recognized in (`prefix`: Vault's device prefix or any text before `{`). */
export type FramingName = "json" | "prefix" | "syslog" | "docker" | "cri" | "journal" | "jsonx";

export function isInputMode(text: string): text is InputMode {
  return (INPUT_MODES as readonly string[]).includes(text);
}
