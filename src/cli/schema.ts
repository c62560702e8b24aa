/** `rivet schema`: print the config file's JSON Schema, for editors. */
import { configJsonSchema } from '../config/schema.ts'
import type { Command } from './command.ts'

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'print the JSON Schema of the config file (for editors)',
  usage: 'rivet schema',
  options: {},
  run() {
    const schema = configJsonSchema()
    return Promise.resolve({ document: schema, text: JSON.stringify(schema, null, 2) })
  },
}
