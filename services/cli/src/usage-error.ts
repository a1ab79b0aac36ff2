import { ConfigError } from '@bitcrawl/model';

/** Thrown by commands for bad flags or arguments; the CLI prints it in one line and exits with 2. */
export class UsageError extends ConfigError {
  readonly code = 'USAGE';
}
