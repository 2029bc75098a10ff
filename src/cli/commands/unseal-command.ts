// `breakglass unseal`: submits key shares to sys/unseal until Vault reports sealed=false, showing
// "progress t of n" after each. On a terminal the shares are typed without echo; otherwise they
// are read from stdin one a line. --reset discards the shares entered so far. Shares are never
// printed, logged or accepted as arguments.
import type { Command } from "commander";
import { createInterface } from "node:readline";
import { VaultError } from "../../errors.js";

export function registerUnsealCommand(program: Command): void {
  program
    .command("unseal")
    .description("unseal Vault: enter key shares (hidden on a terminal, else one a line on stdin)")
    .option("--reset", "discard the key shares entered so far")
    .option("--json", "print the final seal status as one JSON object on stdout")
    .action(async (flags: { reset?: boolean; json?: boolean }) => {
      const [{ resolveVaultConfig }, { VaultClient }, seal] = await Promise.all([
        import("../../vault/vault-config.js"),
        import("../../vault/vault-client.js"),
        import("../../vault/vault-seal.js"),
      ]);
      const debug = process.env.BREAKGLASS_DEBUG === "1";
      const client = new VaultClient(await resolveVaultConfig(), {
        ...(debug ? { debug: (line: string) => void process.stderr.write(line + "\n") } : {}),
      });
      try {
        let status = flags.reset ? await seal.resetUnseal(client) : await seal.sealStatus(client);
        if (flags.reset) process.stderr.write(`unseal progress reset (0 of ${status.t})\n`);
        if (!status.sealed) {
          process.stderr.write(`Vault at ${client.addr} is unsealed\n`);
        } else if (!flags.reset) {
          const report = (): void =>
            void process.stderr.write(
              status.sealed
                ? `unseal progress: ${status.progress} of ${status.t} (${status.n} shares)\n`
                : `Vault at ${client.addr} is unsealed\n`,
            );
          report();
          if (process.stdin.isTTY) {
            const { openTerminal, readHidden } = await import("../../vault/terminal-prompt.js");
            const terminal = openTerminal();
            try {
              while (terminal && status.sealed) {
                const key = await readHidden(
                  terminal,
                  `Unseal key share ${status.progress + 1} of ${status.t} (hidden): `,
                );
                if (key === undefined) break;
                if (key.trim() === "") continue;
                status = await seal.submitUnsealKey(client, key.trim());
                report();
              }
            } finally {
              terminal?.close();
            }
          } else {
            for await (const line of createInterface({
              input: process.stdin,
              crlfDelay: Infinity,
            })) {
              const key = line.trim();
              if (key === "" || key.startsWith("#")) continue;
              status = await seal.submitUnsealKey(client, key);
              report();
              if (!status.sealed) break;
            }
          }
          if (status.sealed) {
            throw new VaultError(
              `Vault at ${client.addr} is still sealed: ${status.progress} of ${status.t} key shares entered`,
              undefined,
              "run `breakglass unseal` again with the remaining shares",
            );
          }
        }
        if (flags.json)
          process.stdout.write(JSON.stringify({ addr: client.addr, ...status }) + "\n");
      } finally {
        client.close();
      }
    });
}
