// Every subcommand, registered in the order `breakglass --help` lists them. Each command file is
// thin: it declares flags and, when run, imports the modules that do the work.
import type { Command } from "commander";

export function registerCommands(program: Command): void {
  void program;
}
