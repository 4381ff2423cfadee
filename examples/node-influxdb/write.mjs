// A Node.js program that writes metrics with the official InfluxDB client,
// @influxdata/influxdb-client 1.35.0 (vendored: vendor/README.md), to
// Telegraf's [[inputs.influxdb_v2_listener]], or to fakegraf standing in
// for it:
//
//   fakegraf run influxdb-v2://127.0.0.1:0 -- node write.mjs
//
// fakegraf run exports the listener's base URL in FAKEGRAF_URL; INFLUX_URL
// wins when set (a real Telegraf, as the parity suite runs it).
//
// With --precision-mistake it makes the classic mistake of the client's
// users: a write API at nanosecond precision given millisecond timestamps
// as numbers. The client sends them as they are; Telegraf stores points in
// January 1970.
//
// The timestamps are fixed, so that what Telegraf stores is the same on
// every run.

import { InfluxDB, Point } from './vendor/influxdb-client/index.mjs';

const url = process.env.INFLUX_URL ?? process.env.FAKEGRAF_URL ?? 'http://127.0.0.1:8086';
const mistake = process.argv.includes('--precision-mistake');
const base = 1700000000000; // ms since the epoch, 2023-11-14T22:13:20Z

// The token is checked only when the listener sets one; org and bucket are
// query parameters the v2 listener requires.
const influx = new InfluxDB({ url, token: 'my-token' });

// The client batches points (batchSize 1000) and gzips a body over 1000
// bytes (gzipThreshold): this one write goes as one gzipped request on
// close. maxRetries 0: a refused batch fails the program instead of being
// retried in the background.
const writeApi = influx.getWriteApi('my-org', 'my-bucket', mistake ? 'ns' : 'ms', { maxRetries: 0 });
writeApi.useDefaultTags({ service: 'checkout' });

const shops = ['eu-1', 'us 2', 'ap,3'];
let n = 0;
for (let i = 0; i < 30; i++) {
  const p = new Point('order')
    .tag('shop', shops[i % shops.length])
    .floatField('price', 9.99 + i)
    .intField('items', 1 + (i % 4))
    .booleanField('gift', i % 5 === 0);
  // With the mistake, a number in milliseconds at a write API in ns.
  p.timestamp(mistake ? base + i : new Date(base + i));
  writeApi.writePoint(p);
  n++;
}
// The field types and escapes a client library writes: a string with
// quotes and a backslash, an unsigned integer, a measurement and a tag
// value with spaces, commas and equals signs.
writeApi.writePoint(
  new Point('queue depth')
    .tag('queue', 'a=b, c')
    .uintField('depth', 42)
    .stringField('note', 'said "hi" \\ bye')
    .timestamp(mistake ? base + 100 : new Date(base + 100)),
);
n++;

try {
  await writeApi.close(); // flushes the batch and waits for the answer
} catch (e) {
  console.error(`write failed: ${e.statusCode ?? ''} ${e.message}`);
  process.exit(1);
}
console.log(`wrote ${n} points to ${url}`);
