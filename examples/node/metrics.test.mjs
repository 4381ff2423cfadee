// Tests of metrics.mjs against fakegraf, with node's own test runner and
// nothing from npm. Run them under fakegraf, from this folder:
//
//   fakegraf run udp://127.0.0.1:0 --data-format influx --http 127.0.0.1:0 --fail-on never -- node --test metrics.test.mjs
//
// fakegraf run gives the test its listener in FAKEGRAF_ADDR and its HTTP API
// in FAKEGRAF_API. The test asks the API (POST /api/v1/wait, then GET
// /api/v1/findings) and decides; --fail-on never leaves the verdict on
// findings to it, and a failed test fails fakegraf run.

import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { connect } from './metrics.mjs';

const api = process.env.FAKEGRAF_API;
const addr = process.env.FAKEGRAF_ADDR;
if (!api || !addr) {
  throw new Error('FAKEGRAF_API or FAKEGRAF_ADDR is not set: run this under fakegraf run --http 127.0.0.1:0 (see the top of this file)');
}

async function post(path, body) {
  const res = await fetch(api + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `POST ${path}: ${text}`);
  return JSON.parse(text);
}

async function get(path) {
  const res = await fetch(api + path);
  const text = await res.text();
  assert.equal(res.status, 200, `GET ${path}: ${text}`);
  return JSON.parse(text);
}

// wait returns once fakegraf has the metrics expect describes (the --expect
// syntax), or fails the test with what fakegraf says came nearest.
async function wait(...expect) {
  const got = await post('/api/v1/wait', { expect, timeout: '10s' });
  const failed = got.expectations.filter((e) => !e.ok).map((e) => `${e.message}\n${e.detail ?? ''}`);
  assert.ok(got.ok, `fakegraf did not get what the test expects (${got.reason}):\n${failed.join('\n')}`);
}

// Each test starts from nothing.
beforeEach(() => post('/api/v1/reset', {}));

test('orders arrive as Telegraf stores them, with no finding', async () => {
  const client = await connect(addr);
  for (const [items, price] of [[1, 9.99], [2, 24.5], [3, 3]]) {
    client.report('order_price', { shop: 'eu-1' }, { price, items: BigInt(items) });
  }
  await client.close();

  await wait('exactly 3 order_price,shop=eu-1 price:float items>=1:int');
  const { findings } = await get('/api/v1/findings');
  assert.deepEqual(findings.map((f) => `${f.rule}: ${f.message}; fix: ${f.fixes.join('; ')}`), []);
});

test('a millisecond timestamp is caught, with its fix', async () => {
  const client = await connect(addr);
  client.report('order_price', { shop: 'eu-1' }, { price: 9.99 }, BigInt(Date.now())); // should be nanoseconds
  await client.close();

  await wait('at-least 1 order_price,shop=eu-1');
  const { findings } = await get('/api/v1/findings?rule=timestamp-unit');
  assert.equal(findings.length, 1, 'one timestamp-unit finding');
  assert.equal(findings[0].severity, 'error');
  assert.match(findings[0].fixes.join("\n"), /multiply the timestamp by 1000000/);
});
