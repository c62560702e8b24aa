/** RefreshingCredentials under a controlled clock: when it refreshes, how often, and what callers see. */
import { describe, expect, test } from 'bun:test'
import { RefreshingCredentials } from '../../src/auth/refreshing.ts'

interface Cred {
  n: number
  expiresAt?: Date
}

function setup(lifetimeMs: number | undefined, fail: () => boolean = () => false) {
  let clock = 1_000_000
  let calls = 0
  const pending: (() => void)[] = []
  const errors: unknown[] = []
  const provider = new RefreshingCredentials<Cred>('test', () => {
    calls++
    const n = calls
    return new Promise<Cred>((resolve, reject) => {
      pending.push(() => {
        if (fail()) reject(new Error(`refresh ${n} failed`))
        else resolve({ n, expiresAt: lifetimeMs === undefined ? undefined : new Date(clock + lifetimeMs) })
      })
    })
  }, { now: () => clock, onBackgroundError: (e) => errors.push(e) })
  const settle = async () => {
    while (pending.length) pending.shift()!()
    await Bun.sleep(0)
  }
  return {
    provider,
    settle,
    errors,
    calls: () => calls,
    advance: (ms: number) => clock += ms,
  }
}

describe('RefreshingCredentials', () => {
  test('concurrent first callers share one fetch; a credential without expiry is kept forever', async () => {
    const t = setup(undefined)
    const all = Promise.all([t.provider.get(), t.provider.get(), t.provider.get()])
    await t.settle()
    expect((await all).map((c) => c.n)).toEqual([1, 1, 1])
    t.advance(365 * 24 * 3600_000)
    expect((await t.provider.get()).n).toBe(1)
    expect(t.calls()).toBe(1)
  })

  test('fresh: cached; inside the window: the old value plus one background refresh', async () => {
    const t = setup(60 * 60_000)
    const first = t.provider.get()
    await t.settle()
    expect((await first).n).toBe(1)
    t.advance(50 * 60_000) // 10 minutes left: fresh
    expect((await t.provider.get()).n).toBe(1)
    expect(t.calls()).toBe(1)
    t.advance(6 * 60_000) // 4 minutes left: inside the 5-minute window
    expect((await t.provider.get()).n).toBe(1)
    expect((await t.provider.get()).n).toBe(1)
    expect(t.calls()).toBe(2) // one background refresh for both calls
    await t.settle()
    expect((await t.provider.get()).n).toBe(2)
  })

  test('expired: callers wait for one shared refresh', async () => {
    const t = setup(60_000)
    const first = t.provider.get()
    await t.settle()
    await first
    t.advance(61_000)
    const waiting = Promise.all([t.provider.get(), t.provider.get()])
    expect(t.calls()).toBe(2)
    await t.settle()
    expect((await waiting).map((c) => c.n)).toEqual([2, 2])
  })

  test('a failed background refresh is reported, the valid value stays in use, and the next call retries', async () => {
    let failing = false
    const t = setup(10 * 60_000, () => failing)
    const first = t.provider.get()
    await t.settle()
    await first
    failing = true
    t.advance(7 * 60_000) // 3 minutes left
    expect((await t.provider.get()).n).toBe(1)
    await t.settle()
    expect(t.errors.map(String)).toEqual(['Error: refresh 2 failed'])
    failing = false
    expect((await t.provider.get()).n).toBe(1)
    expect(t.calls()).toBe(3)
    await t.settle()
    expect((await t.provider.get()).n).toBe(3)
  })

  test('a credential issued for less than the window refreshes at half its lifetime, not on every call', async () => {
    const t = setup(20_000)
    const first = t.provider.get()
    await t.settle()
    await first
    t.advance(9_000) // 11 s left of 20: fresh
    expect((await t.provider.get()).n).toBe(1)
    expect(t.calls()).toBe(1)
    t.advance(3_000) // 8 s left: inside half the lifetime, one background refresh
    expect((await t.provider.get()).n).toBe(1)
    expect(t.calls()).toBe(2)
    await t.settle()
    t.advance(16_000) // 4 s left of the second: under a quarter, callers wait
    const waiting = t.provider.get()
    expect(t.calls()).toBe(3)
    await t.settle()
    expect((await waiting).n).toBe(3)
  })

  test('invalidate forces the next call to wait for a new credential; a failed wait throws', async () => {
    let failing = false
    const t = setup(60 * 60_000, () => failing)
    const first = t.provider.get()
    await t.settle()
    await first
    t.provider.invalidate()
    failing = true
    const next = t.provider.get().catch((error) => error)
    await t.settle()
    expect(String(await next)).toBe('Error: refresh 2 failed')
    expect(t.calls()).toBe(2)
  })
})
