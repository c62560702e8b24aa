/**
 * README.md and docs/ stay true to the repository: the first code block holds the two commands,
 * the layout names every source directory and only paths that exist, and every relative link
 * in README.md and docs/*.md points at a file or directory that is there.
 */
import { expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ROOT } from '../helpers/cli.ts'

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')

function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => m[1])
}

test('the first screen: what rivet is, the two commands, how to get the binary', () => {
  const commands = codeBlocks(readme)[0].split('\n').filter(Boolean).map((l) => l.replace(/\s+#.*$/, ''))
  expect(commands).toEqual(['npm install && npx bun mod.ts run -c examples/quickstart.yaml', 'npm test'])
  const firstScreen = readme.split('\n').slice(0, 25).join('\n')
  expect(firstScreen).toMatch(/^rivet exports tables and queries from PostgreSQL/m)
  expect(firstScreen).toContain('`rivet-<version>-<os>-<arch>.tar.gz`')
  expect(firstScreen).toContain('`npx bun run release`')
})

test('the layout section names every source directory and only paths that exist', () => {
  const layout = readme.split(/^## Layout$/m)[1]
  const block = codeBlocks(layout)[0]
  const named = block.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0])
  for (const path of named) {
    expect({ path, exists: existsSync(join(ROOT, path)) }).toEqual({ path, exists: true })
  }
  const dirs = (dir: string) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)
  for (const dir of dirs('src')) expect(named).toContain(`src/${dir}/`)
  // Subdirectories are named in their parent's line.
  for (const parent of ['sources', 'destinations', 'auth']) {
    const line = block.split('\n').find((l) => l.startsWith(`src/${parent}/`))!
    for (const dir of dirs(`src/${parent}`)) {
      expect({ parent, line }).toEqual({ parent, line: expect.stringContaining(`${dir}/`) })
    }
  }
})

/** Written by other work in progress (issue 20); removed from here once they exist. */
const PENDING = new Set<string>([])

test('relative links in README.md and docs/*.md resolve', () => {
  const files = [
    join(ROOT, 'README.md'),
    ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f)),
  ]
  const broken: string[] = []
  let links = 0
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```$/gm, '')
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue
      links++
      const path = join(dirname(file), target)
      if (PENDING.has(path.slice(ROOT.length + 1))) continue
      if (!existsSync(path)) broken.push(`${file.slice(ROOT.length + 1)} -> ${target}`)
    }
  }
  expect(broken).toEqual([])
  expect(links).toBeGreaterThan(20)
})
