// A minimal Realtime-shaped websocket server in Node that streams broadcasts as fast as the
// socket takes them, for benchmarks/client_ingest.py. It is NOT the local server: it answers
// joins and heartbeats (docs/realtime-protocol.md §4.4, §7.1) and, once a channel is joined,
// sends --count broadcasts on it, then one broadcast with event "done".
//
//   node benchmarks/producer.js [--port 0] [--count 200000] [--payload-bytes 100]
//
// A channel named "bench-<N>" gets N broadcasts instead of --count.
// It prints one JSON line {"port": N} when listening, then one line per finished stream:
// {"vsn": "...", "sent": N, "seconds": S, "rate": R} (its own send rate, to show it is not the
// bottleneck). v1 sockets get text JSON objects; v2 sockets get binary kind-4 frames (§2.3).
'use strict'

const path = require('path')
const WebSocket = require(path.join(__dirname, '..', 'tests', 'interop', 'js', 'node_modules', 'ws'))

function arg(name, fallback) {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : fallback
}

const port = Number(arg('--port', '0'))
const defaultCount = Number(arg('--count', '200000'))
const payloadBytes = Number(arg('--payload-bytes', '100'))

// A JSON payload of about payloadBytes bytes: {"n":1,"text":"xxxx"}.
const filler = 'x'.repeat(Math.max(1, payloadBytes - 18))
const payloadJson = JSON.stringify({ n: 1, text: filler })

function kind4(topic, event, payload) {
  const t = Buffer.from(topic)
  const e = Buffer.from(event)
  const p = Buffer.from(payload)
  return Buffer.concat([Buffer.from([4, t.length, e.length, 0, 1]), t, e, p])
}

function v1Text(topic, event, payload) {
  return `{"topic":${JSON.stringify(topic)},"event":"broadcast","payload":{"type":"broadcast","event":${JSON.stringify(event)},"payload":${payload}},"ref":null}`
}

function reply(vsn, joinRef, ref, topic, response) {
  const payload = { status: 'ok', response }
  if (vsn === '2.0.0') return JSON.stringify([joinRef, ref, topic, 'phx_reply', payload])
  return JSON.stringify({ topic, event: 'phx_reply', payload, ref })
}

// One unmasked server-to-client websocket frame (RFC 6455 §5.2), built once and written many
// times straight to the TCP socket in batches: the producer then costs almost nothing per
// message, so it is never the bottleneck of the benchmark.
function rawFrame(data, binary) {
  const body = Buffer.isBuffer(data) ? data : Buffer.from(data)
  let header
  if (body.length < 126) header = Buffer.from([binary ? 0x82 : 0x81, body.length])
  else if (body.length < 65536) {
    header = Buffer.from([binary ? 0x82 : 0x81, 126, body.length >> 8, body.length & 255])
  } else throw new Error('payload too large for the benchmark producer')
  return Buffer.concat([header, body])
}

const BATCH = 256

function stream(ws, vsn, topic) {
  const m = /-(\d+)$/.exec(topic)
  const count = m ? Number(m[1]) : defaultCount
  const binary = vsn === '2.0.0'
  const one = rawFrame(binary ? kind4(topic, 'ping', payloadJson) : v1Text(topic, 'ping', payloadJson), binary)
  const done = rawFrame(binary
    ? kind4(topic, 'done', JSON.stringify({ count }))
    : v1Text(topic, 'done', JSON.stringify({ count })), binary)
  // 'done' carries the count so receivers can check that nothing was lost.
  const batch = Buffer.concat(Array(BATCH).fill(one))
  let sent = 0
  const start = process.hrtime.bigint()
  const sock = ws._socket
  function pump() {
    while (sent < count) {
      const n = Math.min(BATCH, count - sent)
      const ok = sock.write(n === BATCH ? batch : batch.subarray(0, n * one.length))
      sent += n
      if (!ok) {
        sock.once('drain', pump)
        return
      }
    }
    sock.write(done)
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    console.log(JSON.stringify({ vsn, sent, seconds, rate: Math.round(sent / seconds) }))
  }
  pump()
}

const wss = new WebSocket.Server({ port, perMessageDeflate: false, maxPayload: 5000000 })
wss.on('listening', () => console.log(JSON.stringify({ port: wss.address().port })))
wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://localhost')
  const vsn = url.searchParams.get('vsn') || '1.0.0'
  ws.on('message', (data, isBinary) => {
    if (isBinary) return
    let msg
    try { msg = JSON.parse(data.toString()) } catch { return }
    let joinRef, ref, topic, event
    if (Array.isArray(msg)) [joinRef, ref, topic, event] = msg
    else ({ join_ref: joinRef, ref, topic, event } = msg)
    if (event === 'heartbeat') ws.send(reply(vsn, null, ref, topic, {}))
    else if (event === 'phx_join') {
      ws.send(reply(vsn, joinRef, ref, topic, { postgres_changes: [] }))
      setImmediate(() => stream(ws, vsn, topic))
    } else if (ref !== null && ref !== undefined && event !== 'access_token') {
      ws.send(reply(vsn, joinRef, ref, topic, {}))
    }
  })
  ws.on('error', () => {})
})
