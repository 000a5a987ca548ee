// Reference subscriber for benchmarks/client_ingest.py: a bare Node `ws` client that only
// counts messages. It shows how fast the producer can push when the receiver costs nothing.
//
//   node benchmarks/ingest_sink.js WS_BASE VSN COUNT
'use strict'
const path = require('path')
const WebSocket = require(path.join(__dirname, '..', 'tests', 'interop', 'js', 'node_modules', 'ws'))

const [base, vsn, countText] = process.argv.slice(2)
const count = Number(countText)
const topic = `realtime:bench-${count}`
const ws = new WebSocket(`${base}?apikey=x&vsn=${vsn}`, { perMessageDeflate: false })
let n = -1 // the join reply is not counted
let first = 0n
ws.on('open', () => {
  const join = vsn === '2.0.0'
    ? JSON.stringify(['1', '1', topic, 'phx_join', { config: {} }])
    : JSON.stringify({ topic, event: 'phx_join', payload: { config: {} }, ref: '1', join_ref: '1' })
  ws.send(join)
})
ws.on('message', () => {
  n++
  if (n === 1) first = process.hrtime.bigint()
  if (n === count + 1) {
    const seconds = Number(process.hrtime.bigint() - first) / 1e9
    console.log(JSON.stringify({ received: count, seconds, rate: count / seconds }))
    ws.close()
  }
})
