// A small supabase-js program, as an app would be written: it signs in with a password
// (supabase.auth.signInWithPassword), joins a private channel as that user and prints what it
// receives, as NDJSON. On stdin (one {"cmd": …} per line), "refresh" calls supabase.auth.refreshSession() (supabase-js
// then hands the new access token to Realtime, which pushes it to the joined channel), "exit"
// leaves and exits 0. Settings come from the environment: SUPABASE_URL, SUPABASE_ANON_KEY,
// SUPABASE_EMAIL, SUPABASE_PASSWORD, CHANNEL. The only Node 20 concession is
// `realtime: { transport: ws }` (Node 20 has no global WebSocket).
import { createClient } from '@supabase/supabase-js'
import ws from 'ws'
import readline from 'node:readline'

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const supabase = createClient(process.env.SUPABASE_URL, process.env.SUPABASE_ANON_KEY, {
  realtime: { transport: ws },
})

supabase.auth.onAuthStateChange((event) => out({ ev: 'auth', event }))

const { data, error } = await supabase.auth.signInWithPassword({
  email: process.env.SUPABASE_EMAIL,
  password: process.env.SUPABASE_PASSWORD,
})
if (error) {
  out({ ev: 'sign_in_failed', name: error.name, message: error.message, status: error.status, code: error.code })
  process.exit(4)
}
out({
  ev: 'signed_in',
  user: { id: data.user.id, email: data.user.email, role: data.user.role },
  token_type: data.session.token_type,
  expires_in: data.session.expires_in,
})

const channel = supabase.channel(process.env.CHANNEL, { config: { private: true } })
channel
  .on('broadcast', { event: '*' }, (message) => out({ ev: 'received', event: message.event, payload: message.payload }))
  .subscribe((status, err) => out({ ev: 'status', status, error: err ? err.message : null }))

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let cmd
  try {
    cmd = JSON.parse(line).cmd
  } catch {
    return
  }
  if (cmd === 'refresh') {
    const before = (await supabase.auth.getSession()).data.session
    const { data: refreshed, error: err } = await supabase.auth.refreshSession()
    out({
      ev: 'refreshed',
      error: err ? err.message : null,
      new_access_token: Boolean(refreshed.session && refreshed.session.access_token !== before.access_token),
      new_refresh_token: Boolean(refreshed.session && refreshed.session.refresh_token !== before.refresh_token),
    })
  } else if (cmd === 'user') {
    const { data: got, error: err } = await supabase.auth.getUser()
    out({ ev: 'user', email: got.user ? got.user.email : null, error: err ? err.message : null })
  } else if (cmd === 'exit') {
    await supabase.removeChannel(channel)
    out({ ev: 'bye' })
    process.exit(0)
  }
})
