/**
 * After the suite: no planted secret (tests/helpers/planted.ts) may appear in any output the
 * tests captured from rivet (.test-capture.log, written by tests/helpers/cli.ts).
 */
import { existsSync, readFileSync } from 'node:fs'
import { PLANTED_SECRETS } from '../tests/helpers/planted.ts'
import { CAPTURE_LOG } from '../tests/helpers/cli.ts'

if (!existsSync(CAPTURE_LOG)) {
  console.error(`secret scan: ${CAPTURE_LOG} is missing; the suite captured nothing`)
  process.exit(1)
}
const captured = readFileSync(CAPTURE_LOG, 'utf8')
const leaked = PLANTED_SECRETS.filter((s) => captured.includes(s))
if (leaked.length) {
  console.error(`secret scan: FAILED, planted secrets found in captured output: ${leaked.length}`)
  process.exit(1)
}
console.log(
  `secret scan: ${PLANTED_SECRETS.length} planted secrets, none in ${captured.length} bytes of captured output`,
)
