/** Errors the CLI turns into one clear line and a sysexits-style code (any floor may throw them; cli.ts maps them). */
export abstract class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 64); // EX_USAGE
  }
}

export class DataError extends CliError {
  constructor(message: string) {
    super(message, 65); // EX_DATAERR
  }
}

/**
 * A service the command needs is not there or busy (no appliance on the control socket; the box runs on the ledger a
 * restore would replace).
 */
export class UnavailableError extends CliError {
  constructor(message: string) {
    super(message, 69); // EX_UNAVAILABLE
  }
}

/** A file or directory the command needs cannot be read or written (permissions, missing directory). */
export class IoError extends CliError {
  constructor(message: string) {
    super(message, 74); // EX_IOERR
  }
}

/** `CMD --help`: not an error; the CLI prints the usage on stdout and exits 0. */
export class HelpRequested extends CliError {
  constructor(readonly usage: string) {
    super('help requested', 0);
  }
}
