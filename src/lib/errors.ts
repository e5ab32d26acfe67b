/** Errors the CLI turns into one clear line and a sysexits-style code (any floor may throw them; cli.ts maps them). */
abstract class CliError extends Error {
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
