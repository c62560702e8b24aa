/**
 * Secret values the tests plant in configs and environments. None may ever appear in anything
 * rivet prints: scripts/scan-secrets.ts checks the whole suite's captured output for them.
 */
export const PLANTED_SECRETS = [
  'hunter2-planted',
  'wrong-planted-password',
  'rivet-test-password',
]
