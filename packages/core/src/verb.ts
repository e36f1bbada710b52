import { isDatabaseUnavailable } from "@vulntriage/db";
import { DependencyUnavailableError } from "./errors.js";

/**
 * Marks a function as a verb the transports call: whatever it throws reaches them as a domain
 * error where it is one, so no transport ever inspects driver codes or SQLSTATEs.
 */
export function verb<A, R>(fn: (args: A) => Promise<R>): (args: A) => Promise<R> {
  const wrapped = async (args: A): Promise<R> => {
    try {
      return await fn(args);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        throw new DependencyUnavailableError("the database is not answering; try again", { cause: error });
      }
      throw error;
    }
  };
  // describe(verb.name) in tests and stack traces keep the verb's own name.
  Object.defineProperty(wrapped, "name", { value: fn.name });
  return wrapped;
}
