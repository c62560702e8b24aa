/** Run ids sort in start order, even for runs that start in the same second. */
import { expect, test } from 'bun:test'
import { newRunId, RUN_ID_PATTERN, runDate } from '../../src/pipeline/run-id.ts'

test('ids of runs started 1 ms apart in one second sort in start order and keep the documented shape', () => {
  const base = Date.parse('2026-11-22T19:52:00.000Z')
  const ids = Array.from({ length: 1000 }, (_, ms) => newRunId(new Date(base + ms)))
  for (const id of ids) expect(id).toMatch(RUN_ID_PATTERN)
  expect([...ids].sort()).toEqual(ids)
  expect(ids[0].startsWith('20261122T195200Z-000')).toBe(true)
  expect(ids[999].startsWith('20261122T195200Z-3e7')).toBe(true)
  expect(runDate(ids[0])).toBe('2026-11-22')
  // Same millisecond: still two ids.
  expect(new Set(Array.from({ length: 50 }, () => newRunId(new Date(base)))).size).toBeGreaterThan(40)
})
