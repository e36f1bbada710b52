import { CommanderError } from "commander";
import { createActions, EXIT } from "./commands.js";
import { buildProgram } from "./program.js";

const program = buildProgram(createActions(process));
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help); --help and --version are not errors.
    process.exitCode = error.exitCode === 0 ? EXIT.passed : EXIT.usage;
  } else {
    process.stderr.write(
      `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = EXIT.error;
  }
}
