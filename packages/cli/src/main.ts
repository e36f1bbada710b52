import { CommanderError } from "commander";
import { createActions, EXIT } from "./commands.js";
import { buildProgram } from "./program.js";

// `vulntriage findings … | head`: a reader that stops early is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(typeof process.exitCode === "number" ? process.exitCode : EXIT.passed);
});

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
