/** Thrown by commands for bad flags or arguments; the CLI prints it in one line and exits with 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}
