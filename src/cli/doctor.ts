/**
 * `rivet doctor`: for the source and every destination, which credential was resolved
 * (redacted), when it expires, whether we can connect, and whether we can write and delete a
 * probe object. Exits non-zero with the first failure's code when anything is wrong.
 */
import { timeLeft } from '../auth/credentials.ts'
import { resolvePath } from '../config/load.ts'
import type { DestinationConfig } from '../config/schema.ts'
import type { Destination } from '../destinations/destination.ts'
import { openDestination } from '../destinations/open.ts'
import { asRivetError, type RivetError, sourceError } from '../errors.ts'
import { newRunId } from '../pipeline/run-id.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS } from './args.ts'
import { captureReport, describeCapture } from './cdc.ts'
import type { Command } from './command.ts'
import { loadFromArgs, withSource } from './context.ts'
import type { DoctorDocument } from './documents.ts'

type Step = DoctorDocument['destinations'][number]['steps'][number]

async function step(name: string, work: () => Promise<string | void>, failures: RivetError[]): Promise<Step> {
  try {
    const detail = await work()
    return { name, ok: true, ...(detail ? { detail } : {}) }
  } catch (error) {
    const e = asRivetError(error)
    failures.push(e)
    return { name, ok: false, detail: e.message, code: e.code }
  }
}

async function probe(destination: Destination, runId: string, failures: RivetError[]) {
  const path = `_rivet/doctor-${runId}.probe`
  const steps: Step[] = []
  steps.push(
    await step('credentials', async () => {
      const info = await destination.credentials()
      if (!info) return 'none needed'
      const expiry = info.expiresAt
        ? `, expires ${info.expiresAt.toISOString()} (in ${timeLeft(info.expiresAt)}${
          info.refreshable ? ', refreshed automatically' : ''
        })`
        : ''
      return `${info.source}${info.identity ? ` ${info.identity}` : ''}${expiry}`
    }, failures),
  )
  steps.push(await step('reach', () => destination.check(), failures))
  steps.push(
    await step(
      'write',
      () => destination.put(path, new TextEncoder().encode(`rivet doctor ${runId}\n`)),
      failures,
    ),
  )
  steps.push(await step('delete', () => destination.remove(path), failures))
  return steps
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the source and every destination: credentials, connection, write and delete a probe',
  usage: 'rivet doctor -c FILE [-p key=value]... [--json]',
  options: { config: CONFIG_OPTIONS.config, param: CONFIG_OPTIONS.param },
  async run({ values, logger }) {
    const loaded = await loadFromArgs('doctor', values)
    const failures: RivetError[] = []
    const runId = newRunId(new Date())
    const source = await step('connect', () =>
      withSource(loaded, async (s) => {
        await s.describe('select 1 as rivet_doctor')
        return `${s.engine} at ${s.target}`
      }), failures)

    // A cdc export needs the server configured for it: the step fails with the setting to change.
    const captures: Step[] = []
    for (const exp of loaded.config.exports.filter((e) => e.mode === 'cdc')) {
      captures.push(
        await step(`cdc ${exp.name}`, () =>
          withSource(loaded, async (s) => {
            const report = await captureReport(exp, s)
            if (report.fix) throw sourceError(describeCapture(report), 'CDC_NOT_ENABLED')
            return describeCapture(report)
          }), failures),
      )
    }

    const blocks: { where: string; config: DestinationConfig }[] = []
    if (loaded.config.destination) blocks.push({ where: 'destination', config: loaded.config.destination })
    loaded.config.exports.forEach((e, i) => {
      if (e.destination) {
        blocks.push({ where: `exports[${i}].destination (${e.name})`, config: e.destination })
      }
    })
    const destinations: DoctorDocument['destinations'] = []
    for (const block of blocks) {
      let destination: Destination | undefined
      const opened = await step('configure', () => {
        destination = openDestination(
          block.config,
          { export: 'doctor', run_id: runId, date: new Date().toISOString().slice(0, 10) },
          (p) => resolvePath(loaded, p),
          logger,
        )
        return Promise.resolve()
      }, failures)
      const steps = destination ? await probe(destination, runId, failures) : [opened]
      destinations.push({
        name: block.where,
        type: block.config.type,
        location: destination?.location ?? null,
        steps,
      })
    }

    const document: DoctorDocument = {
      rivet_version: VERSION,
      status: failures.length ? 'failed' : 'succeeded',
      source: { steps: [source, ...captures] },
      destinations,
    }
    const line = (s: Step) => `  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name}${s.detail ? `: ${s.detail}` : ''}`
    const text = [
      'source',
      line(source),
      ...captures.map(line),
      ...destinations.flatMap((d) => [`${d.name}: ${d.type} ${d.location ?? ''}`, ...d.steps.map(line)]),
    ].join('\n')
    if (failures.length) {
      const first = failures[0]
      first.document = document
      first.report = text
      throw first
    }
    return { document, text }
  },
}
