import { REDACTED, registerSecret } from './redact.ts'

const inspectNode = Symbol.for('nodejs.util.inspect.custom')
const inspectDeno = Symbol.for('Deno.customInspect')

/**
 * A secret value (password, key, token) that prints as `***REDACTED***` through `String()`,
 * template literals, `JSON.stringify` and the Bun, Deno and Node inspectors. Only
 * {@link Secret.reveal} gives the value, and only code that hands it to a driver or a signer
 * should call it.
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
    registerSecret(value)
  }

  /** The secret itself. */
  reveal(): string {
    return this.#value
  }

  toString(): string {
    return REDACTED
  }

  toJSON(): string {
    return REDACTED
  }

  [Symbol.toPrimitive](): string {
    return REDACTED
  }

  [inspectNode](): string {
    return REDACTED
  }

  [inspectDeno](): string {
    return REDACTED
  }
}
