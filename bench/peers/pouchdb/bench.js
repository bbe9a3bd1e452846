// The PouchDB peer of noi-bench: the same militia records, replicated by PouchDB's own
// protocol (CouchDB replication over HTTP) to an express-pouchdb server on loopback, then
// pulled by a fresh PouchDB. Every byte between them passes a counting TCP proxy.
// Prints one JSON document; usage: node bench.js --tablets T --rows K --bootstrap-rows B --dir D
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const express = require('express');
const PouchDB = require('pouchdb');

function args() {
  const a = { tablets: 8, rows: 10000, 'bootstrap-rows': 50000, dir: fs.mkdtempSync('/tmp/noi-peer-') };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) {
    const k = v[i].replace(/^--/, '');
    if (!(k in a) || i + 1 >= v.length) {
      console.error(`usage: node bench.js [--tablets T] [--rows K] [--bootstrap-rows B] [--dir D] (unknown: ${v[i]})`);
      process.exit(2);
    }
    a[k] = k === 'dir' ? v[i + 1] : Number(v[i + 1]);
  }
  return a;
}

// The same values noi-bench writes for row k (tools/noi-bench.cpp, bind_member).
function member(id, k) {
  return {
    _id: id, commune_code: '01849', full_name: `Hoàng Văn Thụ ${k}`, sex: 'nam', birth_year: 1980 + (k % 25),
    village: 'Nà Pài', force_type: 'co_dong', unit: 'Trung đội dân quân cơ động', position: 'chien_si',
    joined_on: '2022-03-01', term_end: '2026-03-01', status: 'active', trained_year: 2022, notes: 'Ghi chú',
  };
}

async function fill(db, prefix, n) {
  for (let i = 0; i < n; i += 1000) {
    const docs = [];
    for (let k = i; k < Math.min(n, i + 1000); ++k) docs.push(member(prefix + k, k));
    await db.bulkDocs(docs);
  }
}

function countingProxy(targetPort) {
  const counter = { bytes: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.on('data', (d) => { counter.bytes += d.length; upstream.write(d); });
    upstream.on('data', (d) => { counter.bytes += d.length; client.write(d); });
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end); upstream.on('error', end); client.on('close', end); upstream.on('close', end);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, counter, port: server.address().port })));
}

async function main() {
  const a = args();
  fs.mkdirSync(path.join(a.dir, 'server'), { recursive: true });
  const ServerDB = PouchDB.defaults({ prefix: path.join(a.dir, 'server') + path.sep });
  const app = express();
  app.use('/', require('express-pouchdb')(ServerDB, { mode: 'minimumForPouchDB', logPath: path.join(a.dir, 'log.txt') }));
  const http = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const proxy = await countingProxy(http.address().port);
  const remote = (name) => `http://127.0.0.1:${proxy.port}/${name}`;
  const local = (name) => new PouchDB(path.join(a.dir, name));
  const out = { pouchdb: PouchDB.version, node: process.version };

  // Push: T local databases with K rows each replicate at once to one server database.
  const tablets = [];
  for (let t = 0; t < a.tablets; ++t) {
    const db = local(`push-${t}`);
    await fill(db, `t${t}-`, a.rows);
    tablets.push(db);
  }
  await new PouchDB(remote('commune_push')).info();
  proxy.counter.bytes = 0;
  let started = process.hrtime.bigint();
  await Promise.all(tablets.map((db) => db.replicate.to(remote('commune_push'))));
  let secs = Number(process.hrtime.bigint() - started) / 1e9;
  const pushed = a.tablets * a.rows;
  out.push = { tablets: a.tablets, rows_per_tablet: a.rows, rows_per_s: pushed / secs, wire_bytes_per_row: proxy.counter.bytes / pushed };

  // Bootstrap: a commune of B rows on the server, pulled by a fresh database.
  const writer = local('writer');
  await fill(writer, 'b-', a['bootstrap-rows']);
  await writer.replicate.to(`http://127.0.0.1:${http.address().port}/commune_boot`);
  const fresh = local('fresh');
  proxy.counter.bytes = 0;
  started = process.hrtime.bigint();
  const r = await fresh.replicate.from(remote('commune_boot'));
  secs = Number(process.hrtime.bigint() - started) / 1e9;
  const n = a['bootstrap-rows'];
  out.bootstrap = { rows: n, rows_per_s: n / secs, wire_bytes_per_row: proxy.counter.bytes / n, done: r.docs_written === n };

  console.log(JSON.stringify(out));
  proxy.server.close();
  http.close();
  process.exit(0);
}

main().catch((e) => { console.error(`error: ${e.stack || e}`); process.exit(1); });
