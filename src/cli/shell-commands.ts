// What does a line typed into `breakglass shell` ask for? A query, or one of the backslash
// commands (`\explain Q`, `\format F`, `\fields`, `\stats`, `\help`, `\q`), plus the texts those
// commands print. Pure: no I/O, no index; cli/run-shell.ts does the work.
import { FIELDS } from "../audit/field-catalog.js";
import { OUTPUT_FORMATS, type OutputFormat } from "../output/output-format.js";
import type { IndexStats } from "../store/index-stats.js";
import { STAGE_NAMES } from "../query/tokens.js";

/** A format the shell can print in: one of `--format`'s, or `auto` (plain for stages, else ndjson). */
export type ShellFormat = OutputFormat | "auto";
export const SHELL_FORMATS: readonly ShellFormat[] = [...OUTPUT_FORMATS, "auto"];

export interface ShellCommandSpec {
  readonly name: string;
  readonly args: string;
  readonly help: string;
}

/** The backslash commands, in the order `\help` lists them. */
export const SHELL_COMMANDS: readonly ShellCommandSpec[] = [
  {
    name: "explain",
    args: "QUERY",
    help: "run QUERY and print its plan with estimated and actual sizes",
  },
  {
    name: "format",
    args: "[FMT]",
    help: `print results as ${SHELL_FORMATS.join("|")} (no FMT: show it)`,
  },
  { name: "fields", args: "", help: "the fields a query can name" },
  { name: "stats", args: "", help: "what is indexed, and this session's queries" },
  { name: "help", args: "", help: "this help" },
  { name: "q", args: "", help: "quit (also \\quit, Ctrl-D)" },
  { name: "quit", args: "", help: "quit" },
];

export type ShellLine =
  | { readonly kind: "empty" }
  | { readonly kind: "query"; readonly text: string }
  | { readonly kind: "explain"; readonly text: string }
  | { readonly kind: "format"; readonly format: ShellFormat | undefined }
  | { readonly kind: "fields" }
  | { readonly kind: "stats" }
  | { readonly kind: "help" }
  | { readonly kind: "quit" }
  /** A backslash command that is unknown or badly used: the message to print. */
  | { readonly kind: "invalid"; readonly message: string };

function isShellFormat(text: string): text is ShellFormat {
  return (SHELL_FORMATS as readonly string[]).includes(text);
}

/** What a line asks for. Blank lines and `#` comments are empty (scripts may carry comments). */
export function parseShellLine(line: string): ShellLine {
  const text = line.trim();
  if (text === "" || text.startsWith("#")) return { kind: "empty" };
  if (!text.startsWith("\\")) return { kind: "query", text };
  const match = /^\\(\S*)\s*([\s\S]*)$/.exec(text);
  const name = match?.[1] ?? "";
  const arg = match?.[2] ?? "";
  const noArg = (kind: "fields" | "stats" | "help" | "quit"): ShellLine =>
    arg === "" ? { kind } : { kind: "invalid", message: `\\${name} takes no argument` };
  switch (name) {
    case "explain":
      return arg === ""
        ? { kind: "invalid", message: "\\explain needs a query: \\explain ip = 10.0.0.1 | leases" }
        : { kind: "explain", text: arg };
    case "format":
      if (arg === "") return { kind: "format", format: undefined };
      return isShellFormat(arg)
        ? { kind: "format", format: arg }
        : { kind: "invalid", message: `unknown format ${arg}; one of ${SHELL_FORMATS.join(", ")}` };
    case "fields":
      return noArg("fields");
    case "stats":
      return noArg("stats");
    case "help":
    case "?":
    case "h":
      return noArg("help");
    case "q":
    case "quit":
    case "exit":
      return noArg("quit");
    default:
      return { kind: "invalid", message: `unknown command \\${name}; \\help lists them` };
  }
}

/** `\help`: the commands, the keys, the query language in brief. */
export function shellHelpText(): string {
  const width = Math.max(...SHELL_COMMANDS.map((c) => `\\${c.name} ${c.args}`.length));
  const commands = SHELL_COMMANDS.map(
    (c) => `  ${`\\${c.name} ${c.args}`.padEnd(width)}  ${c.help}`,
  );
  return [
    "Type a query and press Enter; results print in the current format, the time on stderr.",
    "  ip = 10.103.9.43 | leases",
    "  path ^= secret/app1 and ip in 205.178.0.0/16 | count by display_name",
    "",
    "Commands:",
    ...commands,
    "",
    "Keys: Tab completes fields, operators, stages and commands; Up/Down walk the history;",
    "Ctrl-C stops a running query (or clears the line); Ctrl-D quits.",
    `Stages: ${STAGE_NAMES.join(", ")}. Fields: \\fields. Lines holding hash("…") are not saved to the history file.`,
    "",
  ].join("\n");
}

/** `\fields`: the field catalog with kinds and descriptions. */
export function fieldsText(): string {
  const width = Math.max(...FIELDS.map((f) => f.name.length));
  const kindWidth = Math.max(...FIELDS.map((f) => f.kind.length));
  return (
    FIELDS.map(
      (f) => `${f.name.padEnd(width)}  ${f.kind.padEnd(kindWidth)}  ${f.description}`,
    ).join("\n") +
    `\n${"any.dotted.path".padEnd(width + kindWidth + 2)}  that path in the entry, from any ` +
    "top-level key, e.g. response.data.username, forwarded\n"
  );
}

/** What one session has done so far, for `\stats`. */
export interface SessionStats {
  readonly queries: number;
  readonly failed: number;
  readonly format: ShellFormat;
}

const MIB = 1024 * 1024;

/** `\stats`: what is indexed (as `breakglass stats` prints it, without the file list) and the session. */
export function statsText(dir: string, s: IndexStats, session: SessionStats): string {
  return [
    `index       ${dir} (${(s.indexBytes / MIB).toFixed(1)} MiB, ${s.segments} segments)`,
    `files       ${s.files}`,
    `records     ${s.records}`,
    `bad lines   ${s.badLines}`,
    `log bytes   ${s.bytes} (${(s.bytes / MIB).toFixed(1)} MiB)`,
    `time span   ${s.firstTime ?? "-"} … ${s.lastTime ?? "-"}`,
    ...(s.noTime > 0 ? [`no time     ${s.noTime} records (\`not exists time\` lists them)`] : []),
    `session     ${session.queries} queries, ${session.failed} failed, format ${session.format}`,
    "",
  ].join("\n");
}
