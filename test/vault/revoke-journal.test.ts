import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, test } from "vitest";
import {
  defaultJournalPath,
  normalizeNamespace,
  readJournal,
  RevokeJournal,
  type JournalRecord,
} from "../../src/vault/revoke-journal.js";
import { tempDirs } from "../helpers/temp-dir.js";

const tmp = tempDirs("bg-journal-");
const rec = (
  leaseId: string,
  outcome: JournalRecord["outcome"],
  namespace = "",
): JournalRecord => ({
  time: "2024-01-01T00:00:00.000Z",
  mode: "revoke",
  leaseId,
  namespace,
  outcome,
  attempts: 1,
});

describe("RevokeJournal", () => {
  test("is created 0600 (with its directory) in the index directory by default", async () => {
    const dir = await tmp();
    const file = defaultJournalPath(path.join(dir, ".breakglass"));
    expect(path.basename(file)).toBe("revoke-journal.ndjson");
    const j = await RevokeJournal.open(file);
    await j.append(rec("a", "revoked"));
    await j.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  test("revoked and already gone are done; failed is not", async () => {
    const file = path.join(await tmp(), "j.ndjson");
    const j = await RevokeJournal.open(file);
    await Promise.all(
      [rec("a", "revoked"), rec("b", "already_gone"), rec("c", "failed")].map((r) => j.append(r)),
    );
    await j.close();
    const view = await readJournal(file);
    expect(["a", "b", "c", "d"].map((id) => view.isDone("revoke", "", id))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(view.isDone("prefix", "", "a")).toBe(false);
  });

  test("a truncated last line (a crash mid-write) is ignored, and the next line starts fresh", async () => {
    const file = path.join(await tmp(), "j.ndjson");
    await writeFile(
      file,
      JSON.stringify(rec("a", "revoked")) + "\n" + '{"time":"2024","mode":"rev',
    );
    const j = await RevokeJournal.open(file);
    expect(j.ignoredLines).toBe(1);
    expect(j.isDone("revoke", "", "a")).toBe(true);
    await j.append(rec("b", "revoked"));
    await j.close();
    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines[2]).toBe(JSON.stringify(rec("b", "revoked")));
    const view = await readJournal(file);
    expect(view.isDone("revoke", "", "b")).toBe(true);
    expect(view.ignoredLines).toBe(1);
  });

  test("a later outcome for the same lease wins", async () => {
    const file = path.join(await tmp(), "j.ndjson");
    await appendFile(
      file,
      JSON.stringify(rec("a", "failed")) + "\n" + JSON.stringify(rec("a", "revoked")) + "\n",
    );
    expect((await readJournal(file)).isDone("revoke", "", "a")).toBe(true);
  });

  test("namespaces are compared without their slashes", async () => {
    expect(["team-a/", "/team-a", "team-a"].map(normalizeNamespace)).toEqual([
      "team-a",
      "team-a",
      "team-a",
    ]);
    expect([undefined, "", "root", "/"].map(normalizeNamespace)).toEqual(["", "", "", ""]);
    const file = path.join(await tmp(), "j.ndjson");
    const j = await RevokeJournal.open(file);
    await j.append(rec("a", "revoked", "team-a"));
    await j.close();
    expect((await readJournal(file)).isDone("revoke", "team-a/", "a")).toBe(true);
    expect((await readJournal(file)).isDone("revoke", "", "a")).toBe(false);
  });

  test("reading a journal that does not exist creates nothing", async () => {
    const file = path.join(await tmp(), "none.ndjson");
    const view = await readJournal(file);
    expect(view.isDone("revoke", "", "a")).toBe(false);
    await expect(stat(file)).rejects.toThrow();
  });
});
