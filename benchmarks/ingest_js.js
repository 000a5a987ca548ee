// Subscriber for benchmarks/client_ingest.py: realtime-js (Node, ws transport).
//
//   node benchmarks/ingest_js.js URL KEY VSN COUNT
//
// Prints {"received": n, "seconds": s, "rate": r, "cpu_us_per_msg": c}; the clock runs from the
// first broadcast to the "done" broadcast (CPU time: the process's, over the same span).
'use strict'
const path = require('path')
const modules = path.join(__dirname, '..', 'tests', 'interop', 'js', 'node_modules')
const { RealtimeClient } = require(path.join(modules, '@supabase', 'realtime-js'))
const WebSocket = require(path.join(modules, 'ws'))

const [url, key, vsn, countText] = process.argv.slice(2)
const count = Number(countText)
let n = 0
let first = 0n
let cpu0 = null
const client = new RealtimeClient(url, { transport: WebSocket, vsn, heartbeatIntervalMs: 60000, params: { apikey: key } })
const channel = client.channel(`bench-${count}`)
channel.on('broadcast', { event: 'ping' }, () => {
  if (n === 0) { first = process.hrtime.bigint(); cpu0 = process.cpuUsage() }
  n++
})
channel.on('broadcast', { event: 'done' }, () => {
  const seconds = Number(process.hrtime.bigint() - first) / 1e9
  const cpu = process.cpuUsage(cpu0)
  const cpuUsPerMsg = (cpu.user + cpu.system) / n
  console.log(JSON.stringify({ received: n, seconds, rate: n / seconds, cpu_us_per_msg: cpuUsPerMsg }))
  client.disconnect().then(() => process.exit(0))
})
channel.subscribe()
