/** Errors the CLI turns into one clear line and a sysexits-style code. */
export class UsageError extends Error {
  readonly exitCode = 64; // EX_USAGE
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class DataError extends Error {
  readonly exitCode = 65; // EX_DATAERR
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
