// A tiny metrics client, the code under test: it writes InfluxDB line
// protocol to Telegraf's [[inputs.socket_listener]] over UDP or TCP, with
// node's standard library only.
//
//   const client = await connect(process.env.FAKEGRAF_ADDR ?? 'udp://127.0.0.1:8094');
//   client.report('order_price', { shop: 'eu-1' }, { price: 9.99, items: 1 });
//   await client.close();

import dgram from 'node:dgram';
import net from 'node:net';

// Line protocol escapes: measurement names escape commas and spaces; tag
// keys, tag values and field keys escape equals signs too.
const escapeName = (s) => String(s).replace(/[, \\]/g, (c) => '\\' + c);
const escapeKey = (s) => String(s).replace(/[,= \\]/g, (c) => '\\' + c);

function fieldValue(v) {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return `${v}i`;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`field value ${v} cannot be written as line protocol`);
    return String(v); // a float, even 3 (Telegraf stores it as 3.0)
  }
  return '"' + String(v).replace(/["\\]/g, (c) => '\\' + c) + '"';
}

// line is one metric as line protocol, with its newline. timeNs, when
// given, is nanoseconds since the epoch as a BigInt.
export function line(name, tags, fields, timeNs) {
  let s = escapeName(name);
  for (const k of Object.keys(tags).sort()) s += `,${escapeKey(k)}=${escapeKey(tags[k])}`;
  s += ' ' + Object.entries(fields).map(([k, v]) => `${escapeKey(k)}=${fieldValue(v)}`).join(',');
  if (timeNs !== undefined) s += ` ${timeNs}`;
  return s + '\n';
}

// connect opens a client for a udp:// or tcp:// address.
export async function connect(address) {
  const u = new URL(address);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port);
  if (u.protocol === 'udp:' || u.protocol === 'udp4:' || u.protocol === 'udp6:') {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const pending = [];
    return {
      // One datagram per metric: a datagram is one record to Telegraf.
      report(name, tags, fields, timeNs) {
        pending.push(new Promise((resolve, reject) =>
          sock.send(line(name, tags, fields, timeNs), port, host, (err) => (err ? reject(err) : resolve()))));
      },
      async close() {
        await Promise.all(pending);
        await new Promise((resolve) => sock.close(resolve));
      },
    };
  }
  if (u.protocol === 'tcp:' || u.protocol === 'tcp4:' || u.protocol === 'tcp6:') {
    const sock = net.connect(port, host);
    await new Promise((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    return {
      report(name, tags, fields, timeNs) {
        sock.write(line(name, tags, fields, timeNs));
      },
      async close() {
        await new Promise((resolve) => sock.end(resolve));
      },
    };
  }
  throw new Error(`metrics: address ${address}: use udp://HOST:PORT or tcp://HOST:PORT`);
}
