/** The AWS config files: the INI dialect, where the files are, and how profiles merge. */
import { afterEach, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseIni } from '../../src/auth/aws/ini.ts'
import { environmentProfile, readAwsConfigFiles } from '../../src/auth/aws/profiles.ts'
import { awsHome, useAwsEnv } from '../helpers/aws.ts'
import { tempDir } from '../helpers/files.ts'

let restore = () => {}
afterEach(() => restore())

describe('AWS config files', () => {
  test('INI: headers, comments, case-insensitive keys, sub-settings, repeated sections', () => {
    const sections = parseIni(
      [
        '# a comment',
        '[default]',
        'AWS_Access_Key_Id = AKIAEXAMPLE',
        '; another comment',
        'region=eu-north-1',
        's3 =',
        '  addressing_style = path',
        'output = json',
        '[ profile   dev ]',
        'sso_session = corp',
        '[default]',
        'extra = yes',
      ].join('\r\n'),
    )
    expect(Object.fromEntries(sections)).toEqual({
      default: {
        aws_access_key_id: 'AKIAEXAMPLE',
        region: 'eu-north-1',
        s3: '',
        's3.addressing_style': 'path',
        output: 'json',
        extra: 'yes',
      },
      'profile dev': { sso_session: 'corp' },
    })
  })

  test('~/.aws/config and ~/.aws/credentials merge; the credentials file wins; sso-session sections apart', () => {
    const home = awsHome({
      config:
        '[default]\nregion = eu-north-1\n[profile dev]\nregion = us-west-2\naws_access_key_id = FROMCONFIG\n' +
        '[sso-session corp]\nsso_region = eu-west-1\n[services x]\ns3 =\n  endpoint_url = http://x\n',
      credentials:
        '[dev]\naws_access_key_id = FROMCREDENTIALS\naws_secret_access_key = s\n[profile odd]\nx = 1\n',
    })
    restore = useAwsEnv({ HOME: home })
    const files = readAwsConfigFiles()
    expect(files.found).toBe(true)
    expect(files.configPath).toBe(join(home, '.aws', 'config'))
    expect(Object.fromEntries(files.profiles)).toEqual({
      default: { region: 'eu-north-1' },
      dev: { region: 'us-west-2', aws_access_key_id: 'FROMCREDENTIALS', aws_secret_access_key: 's' },
      // In the credentials file a header is the profile name itself.
      'profile odd': { x: '1' },
    })
    expect(Object.fromEntries(files.ssoSessions)).toEqual({ corp: { sso_region: 'eu-west-1' } })
  })

  test('AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE move the files (~ expanded); missing files are no error', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'cfg'), '[profile default]\nregion = ap-south-1\n')
    const home = awsHome()
    writeFileSync(join(home, 'creds'), '[default]\naws_access_key_id = K\n')
    restore = useAwsEnv({
      HOME: home,
      AWS_CONFIG_FILE: join(dir, 'cfg'),
      AWS_SHARED_CREDENTIALS_FILE: '~/creds',
    })
    const files = readAwsConfigFiles()
    expect(files.credentialsPath).toBe(join(home, 'creds'))
    expect(files.profiles.get('default')).toEqual({ region: 'ap-south-1', aws_access_key_id: 'K' })
    restore()
    restore = useAwsEnv({
      AWS_CONFIG_FILE: join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none2'),
    })
    expect(readAwsConfigFiles()).toMatchObject({ found: false, profiles: new Map() })
  })

  test('AWS_PROFILE selects the profile; without it `default`, not explicitly', () => {
    restore = useAwsEnv({ AWS_PROFILE: 'dev' })
    expect(environmentProfile()).toEqual({ name: 'dev', explicit: true })
    restore()
    restore = useAwsEnv()
    expect(environmentProfile()).toEqual({ name: 'default', explicit: false })
  })
})
