/** zod shapes of the Upstox responses we read: a changed shape fails loudly, naming the field. */
import { z } from 'zod';

export const errorEnvelope = z.object({
  status: z.literal('error'),
  errors: z
    .array(
      z
        .object({ error_code: z.string().nullish(), errorCode: z.string().nullish(), message: z.string().nullish() })
        .passthrough(),
    )
    .default([]),
});

const optionContractRow = z.object({
  instrument_key: z.string().min(1),
  expiry: z.string().regex(/^\d{4}-\d\d-\d\d$/),
  instrument_type: z.enum(['CE', 'PE']),
  strike_price: z.number().positive(),
  lot_size: z.number().int().positive(),
  trading_symbol: z.string().optional(),
  underlying_key: z.string().optional(),
  weekly: z.boolean().optional(),
});
export const optionContractsResponse = z.object({ status: z.literal('success'), data: z.array(optionContractRow) });

/** [time ISO +05:30, open, high, low, close, volume, oi] */
const candleRow = z
  .tuple([z.string(), z.number(), z.number(), z.number(), z.number(), z.number(), z.number()])
  .rest(z.number());
export const candlesResponse = z.object({
  status: z.literal('success'),
  data: z.object({ candles: z.array(candleRow) }),
});

/** Expired-instruments API: the expiry dates of an underlying, YYYY-MM-DD. */
export const expiriesResponse = z.object({
  status: z.literal('success'),
  data: z.array(z.string().regex(/^\d{4}-\d\d-\d\d$/)),
});

const ltpValue = z.object({
  last_price: z.number(),
  instrument_token: z.string().min(1),
  ltq: z.number().nullish(),
  volume: z.number().nullish(),
  cp: z.number().nullish(),
});
export const ltpResponse = z.object({ status: z.literal('success'), data: z.record(z.string(), ltpValue) });

const holidayRow = z.object({
  date: z.string().regex(/^\d{4}-\d\d-\d\d$/),
  description: z.string().default(''),
  holiday_type: z.string().default(''),
  closed_exchanges: z.array(z.string()).default([]),
  open_exchanges: z.array(z.object({ exchange: z.string(), start_time: z.number(), end_time: z.number() })).default([]),
});
export const holidaysResponse = z.object({ status: z.literal('success'), data: z.array(holidayRow) });

const timingRow = z.object({ exchange: z.string(), start_time: z.number(), end_time: z.number() });
export const timingsResponse = z.object({ status: z.literal('success'), data: z.array(timingRow) });

export const authorizeResponse = z.object({
  status: z.literal('success'),
  data: z.object({ authorized_redirect_uri: z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL') }),
});

/** The token endpoint answers a flat object, no envelope. */
export const tokenResponse = z.object({
  access_token: z.string().min(1),
  user_id: z.string().optional(),
  user_name: z.string().optional(),
  extended_token: z.string().nullish(),
});

export type HolidayRow = z.infer<typeof holidayRow>;
export type TimingRow = z.infer<typeof timingRow>;
export type TokenResponse = z.infer<typeof tokenResponse>;

export function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
