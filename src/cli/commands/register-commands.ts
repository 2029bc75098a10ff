// Every subcommand, registered in the order `breakglass --help` lists them. Each command file is
// thin: it declares flags and, when run, imports the modules that do the work.
import type { Command } from "commander";
import { registerHashCommand } from "./hash-command.js";
import { registerRevokeCommand } from "./revoke-command.js";
import { registerSealCommand, registerStatusCommand } from "./seal-command.js";
import { registerUnsealCommand } from "./unseal-command.js";
import { defineIndexCommand } from "./index-command.js";
import { defineStatsCommand } from "./stats-command.js";
import { defineDemoCommand } from "./demo-command.js";
import { defineQueryCommand } from "./query-command.js";
import { defineListenCommand } from "./listen-command.js";
import { defineShellCommand } from "./shell-command.js";
import { defineCompareCommand } from "./compare-command.js";
import { defineServeCommand } from "./serve-command.js";
import { defineVerifyCommand } from "./verify-command.js";

export function registerCommands(program: Command): void {
  defineIndexCommand(program);
  defineQueryCommand(program);
  defineListenCommand(program);
  defineShellCommand(program);
  defineServeCommand(program);
  defineStatsCommand(program);
  defineVerifyCommand(program);
  registerRevokeCommand(program);
  registerHashCommand(program);
  registerSealCommand(program);
  registerUnsealCommand(program);
  registerStatusCommand(program);
  defineDemoCommand(program);
  defineCompareCommand(program);
}
