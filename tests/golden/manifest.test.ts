/**
 * A manifest pinned whole: the quickstart's `products` export, with the parts of it that vary
 * between runs (run id, times, file bytes and checksum) replaced by placeholders.
 */
import { expect, test } from 'bun:test'
import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { manifestSchema } from '../../src/pipeline/manifest.ts'
import { ROOT, rivet } from '../helpers/cli.ts'
import { listFiles, tempDir } from '../helpers/files.ts'

const GOLDEN = join(ROOT, 'tests', 'golden', 'products.manifest.json')

test('the products manifest matches tests/golden/products.manifest.json', async () => {
  const dir = tempDir()
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true })
  const result = await rivet(['run', '-c', 'examples/quickstart.yaml', '-e', 'products'], { cwd: dir })
  expect(result.code).toBe(0)
  const file = listFiles(join(dir, 'out', 'products')).find((f) => f.startsWith('_rivet/runs/'))!
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'out', 'products', file), 'utf8')))
  const runId = manifest.run_id
  const normalized = JSON.parse(
    JSON.stringify({
      ...manifest,
      run_id: '<run_id>',
      started_at: '<time>',
      finished_at: '<time>',
      bytes: '<bytes>',
      parts: manifest.parts.map((p) => ({ ...p, bytes: '<bytes>', sha256: '<sha256>' })),
    }).replaceAll(runId, '<run_id>'),
  )
  if (process.env.RIVET_UPDATE_GOLDEN) await Bun.write(GOLDEN, JSON.stringify(normalized, null, 2) + '\n')
  expect(normalized).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')))
})
