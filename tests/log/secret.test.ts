/** Secrets print as ***REDACTED*** everywhere, and the logger masks them and URL passwords. */
import { describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { inspect } from 'node:util'
import { join } from 'node:path'
import { Logger } from '../../src/log/logger.ts'
import { redact } from '../../src/log/redact.ts'
import { Secret } from '../../src/log/secret.ts'
import { ROOT } from '../helpers/cli.ts'

describe('Secret', () => {
  test('every way of printing it is redacted; reveal gives the value', () => {
    const s = new Secret('s3cr3t-value-1')
    expect(String(s)).toBe('***REDACTED***')
    expect(`${s}`).toBe('***REDACTED***')
    expect(JSON.stringify({ s })).toBe('{"s":"***REDACTED***"}')
    expect(inspect(s)).toBe('***REDACTED***')
    expect(inspect({ nested: { s } })).not.toContain('s3cr3t')
    expect(Bun.inspect({ s })).not.toContain('s3cr3t')
    expect(s.reveal()).toBe('s3cr3t-value-1')
  })

  test('Deno inspect and console.log redact it too', () => {
    const script = `import { Secret } from '${join(ROOT, 'src/log/secret.ts')}'
const s = new Secret('s3cr3t-value-2'); console.log(s, { s }, Deno.inspect({ s }), String(s), JSON.stringify(s))`
    const deno = spawnSync(join(ROOT, 'node_modules/.bin/deno'), ['eval', script], { encoding: 'utf8' })
    expect(deno.status).toBe(0)
    expect(deno.stdout).toContain('***REDACTED***')
    expect(deno.stdout).not.toContain('s3cr3t')
  })

  test('the logger masks registered secrets and URL passwords', () => {
    new Secret('planted-token-xyz')
    const lines: string[] = []
    const logger = new Logger('debug', 'json', (l) => lines.push(l))
    logger.error('failed with planted-token-xyz at postgres://bob:pa55word@db:5432/x', {
      url: 'https://u:p4ss@h/',
    })
    expect(lines.join('')).not.toMatch(/planted-token-xyz|pa55word|p4ss/)
    expect(redact('https://acct.blob.core.windows.net/c?sv=1&sig=abc%2Bdef&se=2')).toBe(
      'https://acct.blob.core.windows.net/c?sv=1&sig=***REDACTED***&se=2',
    )
  })
})
