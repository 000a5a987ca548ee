// Load density, realtime-js side (benchmarks/load_density.py): the broadcast workload with N
// RealtimeClients in one Node process, the same as benchmarks/load_ours.py does with the load
// engine: one socket per VU, an echo channel of its own and a group channel shared by 6 (both
// with broadcast self), all connecting at once, then 2 messages/s into each channel for
// DURATION seconds, each VU at its own phase; the payload carries {load: {from, seq, ts}}.
//
//   node --expose-gc benchmarks/load_js.js URL KEY N DURATION [CONNECT_RATE]
//
// With CONNECT_RATE, VU i starts connecting at i / CONNECT_RATE seconds (as the load engine's
// --connect-rate); a join that fails or times out is counted, not fatal.
//
// Prints {"n", "connect_join_s", "rss_kb_per_vu", "cpu_us_per_delivery", "delivered", ...}.
'use strict'
const path = require('path')
const { performance } = require('perf_hooks')
const modules = path.join(__dirname, '..', 'tests', 'interop', 'js', 'node_modules')
const { RealtimeClient } = require(path.join(modules, '@supabase', 'realtime-js'))
const WebSocket = require(path.join(modules, 'ws'))

const [url, key, nText, durationText] = process.argv.slice(2)
const n = Number(nText)
const duration = Number(durationText)
const connectRate = Number(process.argv[6] || 0)
let joinFailures = 0
const gc = global.gc || (() => {})
const PHASE = 0.6180339887498949
const now = () => performance.timeOrigin + performance.now()

let delivered = 0
let expected = 0
let sent = 0
const latencies = []
const sizeOf = { echo: 1, group: 6 }

function vu (i, prefix = '') {
  const client = new RealtimeClient(url, { transport: WebSocket, params: { apikey: key } })
  const join = (kind, name) => new Promise((resolve, reject) => {
    const ch = client.channel(name, { config: { broadcast: { self: true } } })
    ch.on('broadcast', { event: 'load' }, (msg) => {
      const head = msg.payload && msg.payload.load
      if (!head) return
      delivered++
      latencies.push(now() - head.ts)
    })
    let settled = false
    ch.subscribe((status) => {
      if (settled) return
      if (status === 'SUBSCRIBED') {
        settled = true
        resolve({ ch, kind, members: members(kind, i) })
      } else if (status !== 'CLOSED') {
        settled = true
        joinFailures++
        resolve(null)
      }
    })
  })
  return Promise.all([join('echo', `${prefix}echo1-${i}`), join('group', `${prefix}group6-${Math.floor(i / 6)}`)])
    .then((channels) => ({ client, channels: channels.filter((c) => c !== null) }))
}

function members (kind, i) {
  const users = sizeOf[kind]
  const k = Math.floor(i / users)
  return Math.min(users, n - k * users)
}

function sendLoop (i, vuState, stopAt) {
  const seq = [0, 0]
  const interval = 500
  let at = performance.now() + interval * ((i * PHASE) % 1)
  const tick = () => {
    if (performance.now() >= stopAt) return
    vuState.channels.forEach((slot, c) => {
      seq[c]++
      slot.ch.send({ type: 'broadcast', event: 'load', payload: { load: { from: String(i), seq: seq[c], ts: now() } } })
      expected += slot.members
      sent++
    })
    at += interval
    setTimeout(tick, Math.max(0, at - performance.now()))
  }
  setTimeout(tick, Math.max(0, at - performance.now()))
}

function pct (sorted, p) {
  if (!sorted.length) return null
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p / 100))]
}

async function main () {
  const warm = await vu(0, 'warm-') // imports and one-time costs are not counted per VU
  gc()
  const rss0 = process.memoryUsage().rss
  const t0 = performance.now()
  const cpuJoin = process.cpuUsage()
  const later = (i) => new Promise((resolve) => {
    setTimeout(() => resolve(vu(i)), Math.max(0, t0 + (connectRate ? i / connectRate * 1000 : 0) - performance.now()))
  })
  const vus = await Promise.all(Array.from({ length: n }, (_, i) => later(i)))
  const connectJoin = (performance.now() - t0) / 1000
  const joinCpu = process.cpuUsage(cpuJoin)
  gc()
  const rss1 = process.memoryUsage().rss
  let joined = 0
  for (const v of vus) for (const ch of v.client.getChannels()) if (ch.state === 'joined') joined++
  delivered = 0
  latencies.length = 0
  const cpu0 = process.cpuUsage()
  const stopAt = performance.now() + duration * 1000
  vus.forEach((v, i) => sendLoop(i, v, stopAt))
  await new Promise((resolve) => setTimeout(resolve, duration * 1000))
  const cpu = process.cpuUsage(cpu0)
  const deliveredSending = delivered
  const drainUntil = performance.now() + 20000
  while (delivered < expected && performance.now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const sorted = Float64Array.from(latencies).sort()
  const cpuS = (cpu.user + cpu.system) / 1e6
  console.log(JSON.stringify({
    n,
    connect_join_s: connectJoin,
    rss_kb_per_vu: (rss1 - rss0) / 1024 / n,
    cpu_us_per_delivery: cpuS / Math.max(deliveredSending, 1) * 1e6,
    cpu_s_sending: cpuS,
    cpu_ms_per_vu_joining: (joinCpu.user + joinCpu.system) / 1000 / n,
    joined,
    join_failures: joinFailures,
    sent,
    expected,
    delivered,
    lost: Math.max(0, expected - delivered),
    p50_ms: pct(sorted, 50),
    p99_ms: pct(sorted, 99)
  }))
  await Promise.all([...vus.map((v) => v.client), warm.client].map((c) => c.disconnect()))
  process.exit(0)
}
main().catch((e) => { console.error(e); process.exit(1) })
