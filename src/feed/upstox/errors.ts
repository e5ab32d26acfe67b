/** Typed failures of the Upstox link. */

/** The access token is expired or invalid (HTTP 401 / UDAPI100050, or a 401 on the feed upgrade). Log in again. */
export class TokenExpired extends Error {
  constructor(
    message = 'Upstox access token expired or invalid (UDAPI100050): run `niftybox login` or set a new analytics token',
  ) {
    super(message);
    this.name = 'TokenExpired';
  }
}

/** An Upstox API call failed with an error the caller should see (bad request, 4xx, exhausted retries). */
export class UpstoxApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'UpstoxApiError';
  }
}

/** A response did not have the documented shape: names the endpoint and the field. */
export class UpstoxShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstoxShapeError';
  }
}
