/**
 * docs/cloud-auth.md quotes only what rivet prints: every backticked fragment in the "rivet
 * prints" column of its troubleshooting table occurs in a string in src/, and the table covers
 * the failures the issue names.
 */
import { expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../helpers/cli.ts'

function sourceText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n')
}

/** The troubleshooting table's rows as cells (the header and the rule row dropped). */
function troubleshootingRows(markdown: string): string[][] {
  const section = markdown.split(/^## Troubleshooting$/m)[1]
  expect(section).toBeDefined()
  const rows = section.split('\n').filter((l) => l.startsWith('|')).map((l) =>
    l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim())
  )
  expect(rows[0]).toEqual(['symptom', 'rivet prints', 'exit', 'cause', 'fix'])
  return rows.slice(2)
}

test('every message docs/cloud-auth.md quotes is one rivet prints', () => {
  const src = sourceText(join(ROOT, 'src'))
  const rows = troubleshootingRows(readFileSync(join(ROOT, 'docs', 'cloud-auth.md'), 'utf8'))
  const quoted = rows.flatMap(([symptom, prints]) => {
    const fragments = [...prints.matchAll(/`([^`]+)`/g)].map((m) => m[1])
    expect({ symptom, fragments: fragments.length > 0 }).toEqual({ symptom, fragments: true })
    return fragments.map((fragment) => ({ symptom, fragment }))
  })
  const missing = quoted.filter(({ fragment }) => !src.includes(fragment))
  expect(missing).toEqual([])
  expect(quoted.length).toBeGreaterThanOrEqual(25)

  // The failures issue 20 asks the table to explain.
  const symptoms = rows.map((r) => r[0]).join('\n')
  for (
    const needed of [
      /IMDS unreachable/,
      /wrong region/,
      /temporary key without its token/,
      /expired session token/,
      /clock skew/,
      /missing bucket/,
      /missing permission \(S3\)/,
      /missing permission \(GCS\)/,
      /missing role \(Azure/,
    ]
  ) expect(symptoms).toMatch(needed)
  // Exit codes in the table are the ones rivet uses for these failures.
  for (const [symptom, , exit] of rows) {
    expect({ symptom, exit: ['2', '4', '5'].includes(exit) }).toEqual({ symptom, exit: true })
  }
})
