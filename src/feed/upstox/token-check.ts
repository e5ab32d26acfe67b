/**
 * Asks Upstox whether a token works: `GET /v2/user/profile` (Bearer). Used by `niftybox login --token`
 * and at boot, so a rejected token is refused with Upstox's own message and code (e.g. UDAPI100050)
 * instead of surfacing later as a silent feed failure.
 */
export type TokenCheck =
  | { verdict: 'accepted'; user: string | null; via: 'profile' | 'market data' }
  | { verdict: 'rejected'; status: number; code: string | null; message: string }
  | { verdict: 'unchecked'; why: string };

interface ErrorBody {
  errors?: { error_code?: string; errorCode?: string; message?: string }[];
}

async function get(
  url: string,
  token: string,
  timeoutMs: number,
): Promise<{ status: number; body: unknown } | { error: string }> {
  try {
    const res = await fetch(url, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}`, 'User-Agent': 'niftybox/0.1 (+node)' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    return { status: res.status, body };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `no answer within ${timeoutMs} ms`
        : (e.cause?.code ?? e.message);
    return { error: why };
  }
}

function firstError(body: unknown): { code: string | null; message: string | null } {
  const e = (body as ErrorBody | null)?.errors?.[0];
  return { code: e?.error_code ?? e?.errorCode ?? null, message: e?.message ?? null };
}

export async function checkToken(apiBaseUrl: string, token: string, timeoutMs = 8000): Promise<TokenCheck> {
  const base = apiBaseUrl.replace(/\/+$/, '');
  const r = await get(`${base}/v2/user/profile`, token, timeoutMs);
  if ('error' in r) return { verdict: 'unchecked', why: `${base} not reachable (${r.error})` };
  const { code, message } = firstError(r.body);
  if (r.status === 401 || code === 'UDAPI100050') {
    return { verdict: 'rejected', status: r.status, code, message: message ?? `HTTP ${r.status}` };
  }
  if (r.status >= 200 && r.status < 300) {
    const data = (r.body as { data?: { user_name?: string; user_id?: string } } | null)?.data;
    return { verdict: 'accepted', user: data?.user_name ?? data?.user_id ?? null, via: 'profile' };
  }
  if (r.status >= 400 && r.status < 500) {
    // A read-only analytics token may not be allowed the profile (e.g. UDAPI100067): market data is what the box needs.
    const q = await get(
      `${base}/v2/market-quote/ltp?instrument_key=${encodeURIComponent('NSE_INDEX|Nifty 50')}`,
      token,
      timeoutMs,
    );
    if ('error' in q) return { verdict: 'unchecked', why: `${base} not reachable (${q.error})` };
    const qe = firstError(q.body);
    if (q.status >= 200 && q.status < 300) return { verdict: 'accepted', user: null, via: 'market data' };
    if (q.status === 401 || q.status === 403 || qe.code === 'UDAPI100050') {
      return {
        verdict: 'rejected',
        status: q.status,
        code: qe.code ?? code,
        message: qe.message ?? message ?? `HTTP ${q.status}`,
      };
    }
    return {
      verdict: 'unchecked',
      why: `Upstox answered HTTP ${q.status}${qe.code ? ' ' + qe.code : ''}${qe.message ? ': ' + qe.message : ''}`,
    };
  }
  return {
    verdict: 'unchecked',
    why: `Upstox answered HTTP ${r.status}${code ? ' ' + code : ''}${message ? ': ' + message : ''}`,
  };
}

/** "Invalid token used to access API (401 UDAPI100050)". */
export function describeRejection(c: Extract<TokenCheck, { verdict: 'rejected' }>): string {
  return `${c.message} (${c.status}${c.code ? ' ' + c.code : ''})`;
}
