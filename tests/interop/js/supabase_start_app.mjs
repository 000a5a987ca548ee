// A small program written for `supabase start`, unchanged: it reads the URL and anon key that
// `supabase start` prints (SUPABASE_URL defaults to the CLI's http://127.0.0.1:54321), joins
// `room-1`, sends a message to itself, and waits for a message from someone else; it prints what
// happens as NDJSON and exits 0 once it has both. The only Node 20 concession is
// `realtime: { transport: ws }` (Node 20 has no global WebSocket).
import { createClient } from '@supabase/supabase-js'
import ws from 'ws'

const url = process.env.SUPABASE_URL ?? 'http://127.0.0.1:54321'
const key = process.env.SUPABASE_ANON_KEY
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const supabase = createClient(url, key, { realtime: { transport: ws } })
const channel = supabase.channel('room-1', { config: { broadcast: { self: true, ack: true } } })
const seen = new Set()
const timer = setTimeout(() => {
  out({ ev: 'timeout' })
  process.exit(3)
}, 20000)

async function finishWhenDone() {
  if (seen.has('hello') && seen.has('from-python')) {
    await supabase.removeChannel(channel)
    clearTimeout(timer)
    out({ ev: 'bye' })
    process.exit(0)
  }
}

channel
  .on('broadcast', { event: '*' }, (message) => {
    out({ ev: 'received', event: message.event, payload: message.payload })
    seen.add(message.event)
    finishWhenDone()
  })
  .subscribe(async (status, err) => {
    out({ ev: 'status', status, error: err ? err.message : null })
    if (status === 'SUBSCRIBED') {
      const result = await channel.send({ type: 'broadcast', event: 'hello', payload: { from: 'supabase-js' } })
      out({ ev: 'sent', result })
    }
  })
