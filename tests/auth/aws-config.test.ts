/** The S3 block's credential keys: conflicting or incomplete settings are config errors naming both keys. */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/load.ts'
import { RivetError } from '../../src/errors.ts'

function s3(keys: string): string {
  return `source: { type: sqlite, path: x.db }\ndestination:\n  type: s3\n  bucket: b\n${keys}\nexports:\n  - name: a\n    table: t\n`
}

function error(keys: string): string {
  try {
    parseConfig(s3(keys), 'r.yaml', () => undefined)
  } catch (e) {
    expect(e).toBeInstanceOf(RivetError)
    expect((e as RivetError).exit).toBe(2)
    return (e as RivetError).message
  }
  throw new Error('expected a config error')
}

describe('s3 credential settings', () => {
  test('profile, role and its options are accepted', () => {
    const { config } = parseConfig(
      s3(
        '  aws_profile: prod\n  role_arn: arn:aws:iam::123456789012:role/x\n  external_id_env: EXT\n' +
          '  role_session_name: nightly\n  role_duration: 2h',
      ),
      'r.yaml',
      () => undefined,
    )
    expect(config.destination).toMatchObject({
      aws_profile: 'prod',
      role_duration: 7200,
      role_session_name: 'nightly',
    })
  })

  test('conflicts and missing partners name both keys', () => {
    expect(error('  aws_profile: prod\n  access_key_env: K\n  secret_key_env: S')).toBe(
      'r.yaml:6:19: destination.access_key_env: aws_profile and access_key_env conflict: give a profile or keys, not both',
    )
    expect(error('  aws_profile: prod\n  session_token_env: T')).toBe(
      'r.yaml:6:22: destination.session_token_env: aws_profile and session_token_env conflict: ' +
        'the profile brings its own session token',
    )
    expect(error('  access_key_env: K')).toBe(
      'r.yaml:5:19: destination.access_key_env: access_key_env needs secret_key_env',
    )
    expect(error('  external_id_env: EXT')).toBe(
      'r.yaml:5:20: destination.external_id_env: external_id_env needs role_arn',
    )
    expect(error('  role_arn: arn:aws:iam::1:role/x\n  role_duration: soon')).toMatch(
      /^r\.yaml:6:18: destination\.role_duration: /,
    )
    expect(error('  role_arn: arn:aws:iam::1:role/x\n  role_duration: 13h')).toBe(
      'r.yaml:6:18: destination.role_duration: must be between 15 minutes and 12 hours (STS limits)',
    )
    expect(error('  role_arn: my-role')).toBe(
      'r.yaml:5:13: destination.role_arn: must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    )
  })
})
