// realtime-js doing the repeat job of benchmarks/repeat_send.py: N broadcasts of
// {"seq": n, "text": ...} on one channel, without ack (as fast as the socket takes them) or
// with ack and K sends in flight.
//
//   node benchmarks/repeat_js.js URL KEY COUNT ACK(0|1) IN_FLIGHT
//
// Prints {"sent": n, "ok": n, "seconds": s, "rate": r, "rtt_p50_ms": …, "rtt_p99_ms": …}.
// Without ack the clock stops when the socket has written everything (bufferedAmount 0).
'use strict'
const path = require('path')
const modules = path.join(__dirname, '..', 'tests', 'interop', 'js', 'node_modules')
const { RealtimeClient } = require(path.join(modules, '@supabase', 'realtime-js'))
const WebSocket = require(path.join(modules, 'ws'))

const [url, key, countText, ackText, inFlightText] = process.argv.slice(2)
const count = Number(countText)
const ack = ackText === '1'
const inFlight = Number(inFlightText || '1')
const text = 'x'.repeat(64)
const client = new RealtimeClient(url, {
  transport: WebSocket, vsn: '2.0.0', heartbeatIntervalMs: 60000, params: { apikey: key },
})
const channel = client.channel('repeat-bench-js', { config: { broadcast: { ack } } })
const yieldNow = () => new Promise((resolve) => setImmediate(resolve))
const pct = (values, q) => {
  if (!values.length) return null
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))]
}

async function run () {
  let sent = 0
  let ok = 0
  const rtts = []
  const start = process.hrtime.bigint()
  if (!ack) {
    while (sent < count) {
      for (let i = 0; i < 256 && sent < count; i++) {
        sent++
        channel.send({ type: 'broadcast', event: 'e', payload: { seq: sent, text } })
      }
      await yieldNow()
    }
    const conn = (client.socketAdapter && client.socketAdapter.socket && client.socketAdapter.socket.conn) || client.conn
    while (conn && conn.bufferedAmount > 0) await yieldNow()
  } else {
    await new Promise((resolve) => {
      let outstanding = 0
      const pump = () => {
        while (outstanding < inFlight && sent < count) {
          sent++
          outstanding++
          const t0 = process.hrtime.bigint()
          channel.send({ type: 'broadcast', event: 'e', payload: { seq: sent, text } }).then((status) => {
            outstanding--
            if (status === 'ok') { ok++; rtts.push(Number(process.hrtime.bigint() - t0) / 1e6) }
            if (sent >= count && outstanding === 0) resolve()
            else pump()
          })
        }
      }
      pump()
    })
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  console.log(JSON.stringify({
    sent, ok, seconds, rate: sent / seconds, rtt_p50_ms: pct(rtts, 50), rtt_p99_ms: pct(rtts, 99),
  }))
  client.disconnect().then(() => process.exit(0))
}

channel.subscribe((status) => { if (status === 'SUBSCRIBED') run() })
