/** `rivet version`: the version, commit and build target, as text or (`--json`) a document. */
import { buildInfo, versionLine } from '../version.ts'
import type { Command } from './command.ts'
import type { VersionDocument } from './documents.ts'

export const versionCommand: Command = {
  name: 'version',
  summary: 'print the version, the commit and the build target',
  usage: 'rivet version [--json]',
  options: {},
  run() {
    const document: VersionDocument = buildInfo()
    return Promise.resolve({ document, text: versionLine(document) })
  },
}
