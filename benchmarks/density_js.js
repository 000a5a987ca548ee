// VU density, realtime-js side (benchmarks/client_density.py): N RealtimeClients in one Node
// process, one socket each, each joining an echo channel of its own and a group channel shared
// by 6 clients; nothing is sent.
//
//   node --expose-gc benchmarks/density_js.js URL KEY N
//
// Prints {"n", "connect_join_s", "rss_kb_per_vu", "joined"}.
'use strict'
const path = require('path')
const modules = path.join(__dirname, '..', 'tests', 'interop', 'js', 'node_modules')
const { RealtimeClient } = require(path.join(modules, '@supabase', 'realtime-js'))
const WebSocket = require(path.join(modules, 'ws'))

const [url, key, nText] = process.argv.slice(2)
const n = Number(nText)
const gc = global.gc || (() => {})

function vu (i) {
  const client = new RealtimeClient(url, {
    transport: WebSocket, heartbeatIntervalMs: 600000, params: { apikey: key }
  })
  const join = (name) => new Promise((resolve, reject) => {
    client.channel(name).subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve()
      else if (status !== 'CLOSED') reject(err || new Error(status))
    })
  })
  return Promise.all([join(`echo-${i}`), join(`group-${Math.floor(i / 6)}`)]).then(() => client)
}

async function main () {
  const warm = await vu(n) // imports and one-time costs are not counted per VU
  gc()
  const rss0 = process.memoryUsage().rss
  const t0 = process.hrtime.bigint()
  const clients = await Promise.all(Array.from({ length: n }, (_, i) => vu(i)))
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  gc()
  const rss1 = process.memoryUsage().rss
  let joined = 0
  for (const c of clients) for (const ch of c.getChannels()) if (ch.state === 'joined') joined++
  console.log(JSON.stringify({ n, connect_join_s: seconds, rss_kb_per_vu: (rss1 - rss0) / 1024 / n, joined }))
  await Promise.all([...clients, warm].map((c) => c.disconnect()))
  process.exit(0)
}
main().catch((e) => { console.error(e); process.exit(1) })
