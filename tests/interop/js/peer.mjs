// An official-client peer for the interop tests: @supabase/realtime-js or @supabase/supabase-js
// driven by NDJSON commands on stdin, reporting what it observes as NDJSON on stdout.
//
// Protocol (tests/interop/peers.py is the other end; docs/server.md describes it):
//   in : {"cmd": "...", "tag": "t1", ...}       one command per line, run in order
//   out: {"ev": "ready"}                          once, at start
//        {"ev": "done", "tag": "t1", "result": …} a command finished
//        {"ev": "failed", "tag": "t1", "error": "…"}
//        {"ev": "status" | "broadcast" | "presence" | "system" | "heartbeat" | …, …}
//        {"ev": "unhandled" | "console_error", "error": "…"}   the library's own errors
// Binary payloads (ArrayBuffer) are reported as {"__bytes__": [..]}.
import { RealtimeClient } from '@supabase/realtime-js'
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import readline from 'node:readline'

const clients = new Map()
const channels = new Map()

function plain(value) {
  if (value instanceof ArrayBuffer) return { __bytes__: Array.from(new Uint8Array(value)) }
  if (ArrayBuffer.isView(value)) return { __bytes__: Array.from(new Uint8Array(value.buffer)) }
  if (value instanceof Error) {
    return { message: value.message, cause: value.cause === undefined ? null : plain(value.cause) }
  }
  if (Array.isArray(value)) return value.map(plain)
  if (value && typeof value === 'object') {
    const out = {}
    for (const [k, v] of Object.entries(value)) out[k] = plain(v)
    return out
  }
  return value === undefined ? null : value
}

function emit(obj) {
  process.stdout.write(JSON.stringify(plain(obj)) + '\n')
}

function bytesOf(spec) {
  // {"__bytes__": [..]} -> ArrayBuffer, {"__uint8__": [..]} -> Uint8Array (realtime-js JSON-encodes it)
  if (spec && typeof spec === 'object' && Array.isArray(spec.__bytes__)) {
    return new Uint8Array(spec.__bytes__).buffer
  }
  if (spec && typeof spec === 'object' && Array.isArray(spec.__uint8__)) {
    return new Uint8Array(spec.__uint8__)
  }
  return spec
}

function channelOf(cmd) {
  const ch = channels.get(cmd.channel)
  if (!ch) throw new Error(`unknown channel id ${cmd.channel}`)
  return ch
}

function realtimeOf(cmd) {
  const c = clients.get(cmd.client)
  if (!c) throw new Error(`unknown client id ${cmd.client}`)
  return c.realtime
}

function supabaseOf(cmd) {
  const c = clients.get(cmd.client)
  if (!c || !c.supabase) throw new Error(`no supabase-js client ${cmd.client}`)
  return c.supabase
}

function authError(error) {
  return { name: error.name, message: error.message, status: error.status ?? null, code: error.code ?? null }
}

function authResult(data, error) {
  if (error) return { error: authError(error) }
  const s = data.session
  return {
    user: { id: data.user.id, email: data.user.email, role: data.user.role },
    session: { token_type: s.token_type, expires_in: s.expires_in, expires_at: s.expires_at },
  }
}

const commands = {
  // {"id", "lib": "realtime-js" | "supabase-js", "url", "key", "options": {...}, "accessToken"?}
  client(cmd) {
    const options = { ...(cmd.options || {}) }
    const heartbeatCallback = (status) => emit({ ev: 'heartbeat', client: cmd.id, status })
    if (cmd.lib === 'supabase-js') {
      const sb = createClient(cmd.url, cmd.key, {
        realtime: { transport: WebSocket, heartbeatCallback, ...options },
        auth: { persistSession: false, autoRefreshToken: false },
      })
      clients.set(cmd.id, { realtime: sb.realtime, supabase: sb })
    } else {
      const { params: extraParams, ...rest } = options
      const realtime = new RealtimeClient(cmd.url, {
        transport: WebSocket,
        heartbeatCallback,
        ...rest,
        params: { apikey: cmd.key, ...(extraParams || {}) },
      })
      clients.set(cmd.id, { realtime })
    }
    return null
  },

  // {"id", "client", "name", "config", "listen": {"broadcast": ["ev", "*"], "presence": true, "system": true}}
  channel(cmd) {
    const client = clients.get(cmd.client)
    if (!client) throw new Error(`unknown client id ${cmd.client}`)
    const params = { config: cmd.config || {} }
    const ch = client.supabase ? client.supabase.channel(cmd.name, params) : client.realtime.channel(cmd.name, params)
    const listen = cmd.listen || {}
    for (const event of listen.broadcast || []) {
      ch.on('broadcast', { event }, (payload) =>
        emit({ ev: 'broadcast', channel: cmd.id, filter: event, payload })
      )
    }
    if (listen.presence) {
      ch.on('presence', { event: 'sync' }, () =>
        emit({ ev: 'presence', channel: cmd.id, kind: 'sync', state: ch.presenceState() })
      )
      ch.on('presence', { event: 'join' }, ({ key, newPresences }) =>
        emit({ ev: 'presence', channel: cmd.id, kind: 'join', key, presences: newPresences })
      )
      ch.on('presence', { event: 'leave' }, ({ key, leftPresences }) =>
        emit({ ev: 'presence', channel: cmd.id, kind: 'leave', key, presences: leftPresences })
      )
    }
    if (listen.system) {
      ch.on('system', {}, (payload) => emit({ ev: 'system', channel: cmd.id, payload }))
    }
    channels.set(cmd.id, ch)
    return { topic: ch.topic }
  },

  subscribe(cmd) {
    const ch = channelOf(cmd)
    const args = cmd.timeout ? [cmd.timeout] : []
    ch.subscribe((status, err) => emit({ ev: 'status', channel: cmd.channel, status, error: err ? err.message : null }), ...args)
    return null
  },

  // {"channel", "event", "payload", "type"?: "broadcast", "timeout"?, "extra"?: {...}}
  async send(cmd) {
    const ch = channelOf(cmd)
    const message = { type: cmd.type || 'broadcast', event: cmd.event, payload: bytesOf(cmd.payload), ...(cmd.extra || {}) }
    return await ch.send(message, cmd.timeout ? { timeout: cmd.timeout } : {})
  },

  async httpSend(cmd) {
    const ch = channelOf(cmd)
    try {
      return await ch.httpSend(cmd.event, bytesOf(cmd.payload), cmd.timeout ? { timeout: cmd.timeout } : {})
    } catch (err) {
      return { rejected: err.message }
    }
  },

  // a raw push on the channel (access_token, custom events): not a public realtime-js API
  push(cmd) {
    const ch = channelOf(cmd)
    ch.channelAdapter.push(cmd.event, cmd.payload, cmd.timeout)
    return null
  },

  // a raw message on the socket: {"client", "topic", "event", "payload", "ref"}
  socketPush(cmd) {
    realtimeOf(cmd).push({ topic: cmd.topic, event: cmd.event, payload: cmd.payload, ref: cmd.ref })
    return null
  },

  async track(cmd) {
    return await channelOf(cmd).track(cmd.meta || {})
  },

  async untrack(cmd) {
    return await channelOf(cmd).untrack()
  },

  presenceState(cmd) {
    return channelOf(cmd).presenceState()
  },

  state(cmd) {
    const ch = channelOf(cmd)
    const client = realtimeOf({ client: cmd.client })
    return { state: ch.state, listed: client.getChannels().includes(ch) }
  },

  async unsubscribe(cmd) {
    return await channelOf(cmd).unsubscribe()
  },

  // supabase-js Auth: {"client", "email", "password"} -> the user, or the error as supabase-js
  // reports it ({name, message, status, code})
  async signIn(cmd) {
    const { data, error } = await supabaseOf(cmd).auth.signInWithPassword({ email: cmd.email, password: cmd.password })
    return authResult(data, error)
  },

  async refreshSession(cmd) {
    const { data, error } = await supabaseOf(cmd).auth.refreshSession()
    return authResult(data, error)
  },

  async signOut(cmd) {
    const { error } = await supabaseOf(cmd).auth.signOut(cmd.scope ? { scope: cmd.scope } : undefined)
    return error ? { error: authError(error) } : { error: null }
  },

  async getUser(cmd) {
    const { data, error } = await supabaseOf(cmd).auth.getUser()
    return error ? { error: authError(error) } : { user: data.user }
  },

  async setAuth(cmd) {
    await realtimeOf(cmd).setAuth(cmd.token)
    return null
  },

  async disconnect(cmd) {
    await realtimeOf(cmd).disconnect()
    return null
  },

  // the test of peers.py itself: an error as the library would report it
  // {"how": "console" | "rejection" | "exception", "text"}
  fault(cmd) {
    if (cmd.how === 'console') console.error('fault:', cmd.text)
    else if (cmd.how === 'rejection') Promise.reject(new Error(cmd.text))
    else setTimeout(() => { throw new Error(cmd.text) }, 0)
    return null
  },

  async exit() {
    for (const { realtime } of clients.values()) {
      try {
        await realtime.disconnect()
      } catch {}
    }
    emit({ ev: 'bye' })
    process.exit(0)
  },
}

// The client library's own errors: every console.error becomes an event (and still reaches
// stderr), like unhandled rejections and exceptions; peers.py fails the test on undeclared ones.
function describe(value) {
  if (value instanceof Error) return value.stack || value.message
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(plain(value))
  } catch {
    return String(value)
  }
}
const consoleError = console.error.bind(console)
console.error = (...args) => {
  emit({ ev: 'console_error', error: args.map(describe).join(' ') })
  consoleError(...args)
}

process.on('unhandledRejection', (reason) => emit({ ev: 'unhandled', error: String(reason && reason.message ? reason.message : reason) }))
process.on('uncaughtException', (err) => emit({ ev: 'unhandled', error: String(err && err.message ? err.message : err) }))

const rl = readline.createInterface({ input: process.stdin })
let queue = Promise.resolve()
rl.on('line', (line) => {
  if (!line.trim()) return
  // exit jumps the queue: a command still waiting (a push the server never answers) must not
  // keep the peer alive.
  if (/"cmd"\s*:\s*"exit"/.test(line)) {
    commands.exit()
    return
  }
  queue = queue.then(async () => {
    let cmd
    try {
      cmd = JSON.parse(line)
      const fn = commands[cmd.cmd]
      if (!fn) throw new Error(`unknown command ${cmd.cmd}`)
      const result = await fn(cmd)
      emit({ ev: 'done', tag: cmd.tag ?? null, cmd: cmd.cmd, result })
    } catch (err) {
      emit({ ev: 'failed', tag: cmd ? cmd.tag ?? null : null, cmd: cmd ? cmd.cmd : null, error: String(err && err.message ? err.message : err) })
    }
  })
})
rl.on('close', () => {
  queue.then(() => commands.exit())
})
emit({ ev: 'ready', lib: 'realtime-js' })
