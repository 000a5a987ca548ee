// Subscriber for benchmarks/client_ingest.py: realtime-js (Node, ws transport).
//
//   node benchmarks/ingest_js.js URL KEY VSN COUNT
//
// Prints {"received": n, "seconds": s, "rate": r}; the clock runs from the first broadcast to
// the "done" broadcast.
'use strict'
const path = require('path')
const modules = path.join(__dirname, '..', 'tests', 'interop', 'js', 'node_modules')
const { RealtimeClient } = require(path.join(modules, '@supabase', 'realtime-js'))
const WebSocket = require(path.join(modules, 'ws'))

const [url, key, vsn, countText] = process.argv.slice(2)
const count = Number(countText)
let n = 0
let first = 0n
const client = new RealtimeClient(url, { transport: WebSocket, vsn, heartbeatIntervalMs: 60000, params: { apikey: key } })
const channel = client.channel(`bench-${count}`)
channel.on('broadcast', { event: 'ping' }, () => {
  if (n === 0) first = process.hrtime.bigint()
  n++
})
channel.on('broadcast', { event: 'done' }, () => {
  const seconds = Number(process.hrtime.bigint() - first) / 1e9
  console.log(JSON.stringify({ received: n, seconds, rate: n / seconds }))
  client.disconnect().then(() => process.exit(0))
})
channel.subscribe()
