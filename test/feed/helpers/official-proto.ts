/**
 * The official Upstox proto (upstox-js-sdk, devDependency) loaded with the SDK's own protobufjs: tests and bench only.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const sdkDir = fileURLToPath(new URL('../../../node_modules/upstox-js-sdk/', import.meta.url));
const requireFromSdk = createRequire(sdkDir + 'package.json');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const sdkProtobuf: any = requireFromSdk('protobufjs');

export const OFFICIAL_PROTO = sdkDir + 'dist/feeder/proto/MarketDataFeedV3.proto';
const root = sdkProtobuf.loadSync(OFFICIAL_PROTO);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const OfficialFeedResponse: any = root.lookupType('com.upstox.marketdatafeederv3udapi.rpc.proto.FeedResponse');

export function officialEncode(obj: Record<string, unknown>): Uint8Array {
  return OfficialFeedResponse.encode(OfficialFeedResponse.fromObject(obj)).finish();
}

/** Full plain form with defaults filled in (protobufjs 7 and 8 differ on whether proto3 zeros are written/shown). */
export function officialDecode(buf: Uint8Array): Record<string, unknown> {
  return OfficialFeedResponse.toObject(OfficialFeedResponse.decode(buf), {
    longs: Number,
    enums: String,
    defaults: true,
  });
}
