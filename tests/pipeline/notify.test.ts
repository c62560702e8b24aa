/**
 * `notifications:` against a local HTTP receiver: one Slack-shaped JSON message per failed
 * export, failed quality rule and schema drift (refused or let through), only for the events
 * asked for; the webhook URL (its token) never appears in the output; a webhook that fails or
 * does not answer is logged and leaves the exit code as it was.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { webhookMessage } from '../../src/pipeline/notify.ts'
import { rivet } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { PG_URL, pgExec, pgToLocal } from '../helpers/pg.ts'

const TOKEN = 'T0RIVET/B0RIVET/notify-secret-token-4242'

interface Received {
  path: string
  type: string | undefined
  body: { text: string }
}

let server: Server
let received: Received[] = []
/** The status the receiver answers with. */
let status = 200
let base = ''

beforeAll(async () => {
  await pgExec(`drop table if exists rivet_notify;
    create table rivet_notify (id int); insert into rivet_notify select generate_series(1, 5);`)
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => body += d)
    req.on('end', () => {
      received.push({ path: req.url!, type: req.headers['content-type'], body: JSON.parse(body) })
      res.writeHead(status).end(status === 200 ? 'ok' : 'no_service')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => server.close())

function setup(on = '') {
  const { file } = pgToLocal(
    `notifications: { webhook_url_env: RIVET_TEST_WEBHOOK${on} }\nexports:\n` +
      '  - { name: q, table: public.rivet_notify, quality: { row_count_max: 1 } }\n' +
      '  - { name: bad, query: "select * from rivet_no_such_table" }\n' +
      '  - { name: d, query: "select ${COLS} from rivet_notify" }\n',
  )
  const env = { RIVET_TEST_WEBHOOK: `${base}/services/${TOKEN}` }
  return (name: string, cols = 'id') =>
    rivet(['run', '-c', file, '-e', name, '-p', `COLS=${cols}`, '--json'], { env })
}

/** Every received message, then clears them. */
function take(): Received[] {
  const out = received
  received = []
  return out
}

describe('notifications', () => {
  test('failure, quality and drift each post one message; the token is in no output', async () => {
    const run = setup()
    const outputs: string[] = []
    const quality = await run('q')
    outputs.push(quality.stdout, quality.stderr)
    expect(quality.code).toBe(6)
    const [q] = take()
    expect(q.path).toBe(`/services/${TOKEN}`)
    expect(q.type).toBe('application/json')
    const runId = /run (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(JSON.parse(quality.stdout).error.message)![1]
    expect(q.body.text).toStartWith(
      `rivet: export q: quality check failed, run ${runId}: export q: quality rule`,
    )
    expect(q.body.text).toContain('row_count_max')

    const bad = await run('bad')
    outputs.push(bad.stdout, bad.stderr)
    expect(bad.code).toBe(3)
    const [b] = take()
    expect(b.body.text).toStartWith('rivet: export bad: failed: ')
    expect(b.body.text).toContain('rivet_no_such_table')

    expect((await run('d', 'id')).code).toBe(0)
    expect(take()).toEqual([])
    const added = await run('d', 'id, id as extra')
    outputs.push(added.stdout, added.stderr)
    expect(added.code).toBe(0)
    const addedRun = JSON.parse(added.stdout).exports[0]
    expect(addedRun.drift).toEqual(['added extra (int32)'])
    expect(take().map((m) => m.body.text)).toEqual([
      `rivet: export d: schema drift, run ${addedRun.run_id}: added extra (int32)`,
    ])
    const refused = await run('d', 'id as renamed, id as extra')
    outputs.push(refused.stdout, refused.stderr)
    expect(refused.code).toBe(6)
    const [r] = take()
    expect(r.body.text).toStartWith('rivet: export d: schema drift: export d: schema drift since run')
    expect(r.body.text).toContain('renamed id -> renamed')
    for (const output of outputs) expect(output).not.toContain('notify-secret-token')
  })

  test('only the events in on:; a failing webhook is logged, the exit code stays', async () => {
    const run = setup(', on: [quality]')
    expect((await run('bad')).code).toBe(3)
    expect(take()).toEqual([])
    status = 500
    try {
      const quality = await run('q')
      expect(quality.code).toBe(6)
      expect(take()).toHaveLength(1)
      expect(quality.stderr).toContain(
        'notifications: the webhook in RIVET_TEST_WEBHOOK did not take the quality message of export q: HTTP 500',
      )
      expect(quality.stderr).not.toContain('notify-secret-token')
    } finally {
      status = 200
    }
    // Nothing listening: Deno's fetch names the whole URL in its error, which is redacted.
    const gone = writeConfig(
      tempDir(),
      `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ${tempDir()} }\n` +
        'notifications: { webhook_url_env: RIVET_TEST_WEBHOOK }\nexports:\n' +
        '  - { name: bad, query: "select * from rivet_no_such_table" }\n',
    )
    const unanswered = await rivet(['run', '-c', gone], {
      runtime: 'deno',
      env: { RIVET_TEST_WEBHOOK: `http://127.0.0.1:1/services/${TOKEN}` },
    })
    expect(unanswered.code).toBe(3)
    expect(unanswered.stderr).toContain(
      'notifications: the webhook in RIVET_TEST_WEBHOOK did not take the failure',
    )
    expect(unanswered.stderr).not.toContain('notify-secret-token')
    // A source that cannot be reached stops the run at its first export: one message, not one per export.
    const down = writeConfig(
      tempDir(),
      'source: { type: postgres, url: "postgres://postgres@127.0.0.1:1/test" }\n' +
        `destination: { type: local, path: ${tempDir()} }\n` +
        'notifications: { webhook_url_env: RIVET_TEST_WEBHOOK }\nexports:\n' +
        '  - { name: one, table: public.rivet_notify }\n  - { name: two, table: public.rivet_notify }\n',
    )
    const refused = await rivet(['run', '-c', down], {
      env: { RIVET_TEST_WEBHOOK: `${base}/services/${TOKEN}` },
    })
    expect(refused.code).toBe(3)
    expect(take().map((m) => m.body.text.split(': ').slice(0, 3).join(': '))).toEqual([
      'rivet: export one: failed',
    ])
    const unset = await rivet(['run', '-c', gone], {
      runtime: 'binary',
      env: { RIVET_TEST_WEBHOOK: undefined },
    })
    expect(unset.code).toBe(2)
    expect(unset.stderr).toContain(
      'notifications.webhook_url_env names the environment variable RIVET_TEST_WEBHOOK',
    )
  })
})

test('a message that quotes a URL with its password is redacted before it leaves', () => {
  const message = webhookMessage({
    event: 'failure',
    export: 'e',
    runId: undefined,
    message: 'cannot connect to postgres://bob:planted-pa55@db:5432/x',
  })
  expect(message.text).toBe(
    'rivet: export e: failed: cannot connect to postgres://bob:***REDACTED***@db:5432/x',
  )
})
