// Receiver for benchmarks/replay_timing.py: realtime-js on one channel, stamping each broadcast
// with process.hrtime (ns) on arrival; prints {"ready": true} once subscribed and, after COUNT
// broadcasts, one JSON line {"events": [...], "times_ms": [...]}.
//
//   node benchmarks/replay_timing.js REALTIME_URL KEY CHANNEL COUNT
'use strict'
const path = require('path')
const modules = path.join(__dirname, '..', 'tests', 'interop', 'js', 'node_modules')
const { RealtimeClient } = require(path.join(modules, '@supabase', 'realtime-js'))
const WebSocket = require(path.join(modules, 'ws'))

const [url, key, name, countText] = process.argv.slice(2)
const count = Number(countText)
const client = new RealtimeClient(url, { transport: WebSocket, params: { apikey: key } })
const channel = client.channel(name, { config: {} })
const events = []
const times = []
channel.on('broadcast', { event: '*' }, (message) => {
  times.push(Number(process.hrtime.bigint()) / 1e6)
  events.push(message.event)
  if (events.length === count) {
    console.log(JSON.stringify({ events, times_ms: times }))
    client.disconnect()
    process.exit(0)
  }
})
channel.subscribe((status) => {
  if (status === 'SUBSCRIBED') console.log(JSON.stringify({ ready: true }))
})
