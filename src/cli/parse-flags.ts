// Flag value parsers for commander: a bad value is a usage error (exit 2) that names the flag.
import { InvalidArgumentError } from "commander";
import { INPUT_MODES, isInputMode, type InputMode } from "../audit/framing/input-mode.js";
import { MAX_LINE_BYTES_CAP } from "../ingest/long-lines.js";

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number ≥ 0");
  return n;
}

/** --max-line-bytes: a whole number of bytes, at most what a parse worker can hold as a string. */
export function parseMaxLineBytes(value: string): number {
  const n = parsePositiveInt(value);
  if (n > MAX_LINE_BYTES_CAP) {
    throw new InvalidArgumentError(
      `at most ${MAX_LINE_BYTES_CAP} (${MAX_LINE_BYTES_CAP >> 20} MiB): a longer line cannot be parsed`,
    );
  }
  return n;
}

/** --input: the framings accepted. */
export function parseInputMode(value: string): InputMode {
  if (!isInputMode(value))
    throw new InvalidArgumentError(`expected one of ${INPUT_MODES.join(", ")}`);
  return value;
}
