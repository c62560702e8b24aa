/** The state file: its versioned shape, refusals of what rivet can't read, and conditional saves on disk. */
import { describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalDestination } from '../../src/destinations/local.ts'
import { RivetError } from '../../src/errors.ts'
import { emptyState, parseState, STATE_VERSION, StateStore } from '../../src/pipeline/state.ts'
import { tempDir } from '../helpers/files.ts'

const encode = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value))

function refusal(bytes: Uint8Array): RivetError {
  try {
    parseState(bytes, '.rivet/x.json')
  } catch (error) {
    return error as RivetError
  }
  throw new Error('parseState accepted it')
}

describe('parseState', () => {
  test('reads a current file', () => {
    const state = {
      ...emptyState('orders'),
      cursor: {
        column: 'id',
        type: 'int64',
        value: '42',
        boundary: ['ab'],
        run_id: '20261122T195200Z-1a2b3c',
      },
    }
    expect(parseState(encode(state), 'x')).toEqual(state)
    expect(state.state_version).toBe(STATE_VERSION)
  })

  test('refuses a newer version, broken JSON and a foreign shape, each with what to do', () => {
    const newer = refusal(encode({ ...emptyState('x'), state_version: STATE_VERSION + 1 }))
    expect(newer.message).toBe(
      `.rivet/x.json has state_version ${STATE_VERSION + 1}, written by a newer rivet; upgrade rivet`,
    )
    expect(newer.exit).toBe(5)
    expect(refusal(encode('{"state_version": 1,')).message).toMatch(
      /is not valid JSON; fix it or remove it with rivet state reset/,
    )
    expect(refusal(encode({ ...emptyState('x'), cursor: { column: 'id' } })).message)
      .toMatch(
        /^\.rivet\/x\.json is not a rivet state file \(cursor\.type: .*\); remove it with rivet state reset$/,
      )
  })
})

describe('StateStore on a local directory', () => {
  test('a save on a stale version, or a create over an existing file, is a conflict', async () => {
    const dir = tempDir()
    const store = new StateStore(new LocalDestination(dir), (name) => `${name}.json`)
    const v1 = await store.save(emptyState('e'), undefined)
    const { version } = await store.load('e')
    expect(version).toBe(v1)
    await store.save({ ...emptyState('e'), checkpoint: undefined }, v1)
    const conflict = await store.save(emptyState('e'), v1).catch((e) => e as RivetError)
    expect(conflict).toMatchObject({ code: 'STATE_CONFLICT', exit: 5 })
    await expect(store.save(emptyState('e'), undefined)).rejects.toMatchObject({ code: 'STATE_CONFLICT' })
  })

  test('a lock left by a killed process is taken over at once', async () => {
    const dir = tempDir()
    const store = new StateStore(new LocalDestination(dir), (name) => `${name}.json`)
    // No process has pid 2^22 + 1 (above Linux's pid_max default).
    writeFileSync(join(dir, 'e.json.lock'), `4194305 ${(await import('node:os')).hostname()}`)
    const started = Date.now()
    await store.save(emptyState('e'), undefined)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  test('an empty lock (its owner killed before writing itself in) is taken over after a moment', async () => {
    const dir = tempDir()
    const store = new StateStore(new LocalDestination(dir), (name) => `${name}.json`)
    writeFileSync(join(dir, 'e.json.lock'), '')
    const started = Date.now()
    await store.save(emptyState('e'), undefined)
    // Not at once (a live owner writes itself in right after creating the lock), nor after 10 s.
    expect(Date.now() - started).toBeGreaterThan(1500)
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
