/** A mistake in how agcp was invoked (bad flag value, missing setup): exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A runtime failure with a message that says it all (port in use, ...): exit code 1, no stack trace. */
export class RuntimeFailure extends Error {
  override readonly name = "RuntimeFailure";
}

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;
