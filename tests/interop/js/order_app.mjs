// A small "app" for the check examples (examples/checks/, docs/checks.md): a backend that
// answers every `order.created` broadcast on the channel `orders` with `order.confirmed`
// carrying the same `id`, a `status` and a `confirmation` code. It uses realtime-js exactly as
// an app would, reads SUPABASE_URL and SUPABASE_ANON_KEY, prints what happens as NDJSON
// ({"ev": "status"|"answered"|...}) and runs until stdin closes or it is terminated.
import { RealtimeClient } from '@supabase/realtime-js'
import WebSocket from 'ws'

const base = process.env.SUPABASE_URL ?? 'http://127.0.0.1:54321'
const key = process.env.SUPABASE_ANON_KEY
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const realtime = new RealtimeClient(base.replace(/^http/, 'ws') + '/realtime/v1', {
  params: { apikey: key },
  transport: WebSocket,
})
const channel = realtime.channel('orders', { config: { broadcast: { ack: true } } })
let answered = 0

channel
  .on('broadcast', { event: 'order.created' }, async ({ payload }) => {
    answered += 1
    const reply = {
      id: payload?.id ?? null,
      status: 'confirmed',
      confirmation: `C-${answered}`,
    }
    const result = await channel.send({ type: 'broadcast', event: 'order.confirmed', payload: reply })
    out({ ev: 'answered', id: reply.id, result })
  })
  .subscribe((status, err) => {
    out({ ev: 'status', status, error: err ? err.message : null })
  })

async function stop() {
  await realtime.removeAllChannels()
  realtime.disconnect()
  out({ ev: 'bye' })
  process.exit(0)
}

process.stdin.on('end', stop)
process.stdin.resume()
process.on('SIGTERM', stop)
