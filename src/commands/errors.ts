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

/** `CMD --help`: not an error; the CLI prints the usage on stdout and exits 0. */
export class HelpRequested extends Error {
  readonly exitCode = 0;
  constructor(readonly usage: string) {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

/** A file or directory the command needs cannot be read or written (permissions, missing directory). */
export class IoError extends Error {
  readonly exitCode = 74; // EX_IOERR
  constructor(message: string) {
    super(message);
    this.name = 'IoError';
  }
}
