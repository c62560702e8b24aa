/**
 * The container image without a Docker engine: the Dockerfile's final stage is read (following
 * `FROM <stage>` down to scratch), its files are assembled into a root directory exactly as its
 * COPY lines list them, and the binary runs inside that root as the image's user, with the root
 * read-only and only a volume writable, as a container runtime would run it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { ROOT } from '../helpers/cli.ts'

/** One Dockerfile instruction, continuation lines joined; `heredoc` holds a `<<NAME` body. */
interface Instruction {
  op: string
  args: string
  heredoc?: string
}

interface Stage {
  base: string
  name?: string
  instructions: Instruction[]
}

/** A file of the final stage: where it goes, and where its bytes come from. */
export interface ImageFile {
  path: string
  /** `--from=<stage>` and the path there; `heredoc` for an inline file. */
  from: string
  source: string
  /** The body of an inline file. */
  content?: string
}

/** What the final stage holds and how it runs. */
export interface Image {
  files: ImageFile[]
  env: Record<string, string>
  user: string
  workdir: string
  entrypoint: string[]
  /** Every stage by name, for checks on how a source stage makes its files. */
  stages: Map<string, Stage>
}

function instructions(text: string): Instruction[] {
  const lines = text.split('\n')
  const out: Instruction[] = []
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]
    if (/^\s*(#|$)/.test(line)) continue
    while (line.endsWith('\\')) line = line.slice(0, -1) + ' ' + lines[++i].trim()
    const [, op, args] = /^\s*(\w+)\s+(.*)$/.exec(line)!
    const instruction: Instruction = { op: op.toUpperCase(), args: args.trim() }
    const marker = /<<(\w+)/.exec(args)
    if (marker) {
      const body: string[] = []
      while (lines[++i] !== marker[1]) body.push(lines[i])
      instruction.heredoc = body.join('\n') + '\n'
      instruction.args = args.replace(marker[0], '').trim()
    }
    out.push(instruction)
  }
  return out
}

/** Reads the Dockerfile's final stage for `targetArch` (amd64 or arm64). */
export function readImage(targetArch: string, dockerfile = join(ROOT, 'Dockerfile')): Image {
  const stages: Stage[] = []
  for (const instruction of instructions(readFileSync(dockerfile, 'utf8'))) {
    if (instruction.op === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--platform='))
      stages.push({ base: words[0].replace('${TARGETARCH}', targetArch), name: words[2], instructions: [] })
    } else if (stages.length) stages.at(-1)!.instructions.push(instruction)
  }
  const named = new Map(stages.filter((s) => s.name).map((s) => [s.name!, s]))
  const chain: Stage[] = []
  for (let stage: Stage | undefined = stages.at(-1); stage; stage = named.get(stage.base)) {
    chain.unshift(stage)
  }
  if (chain[0].base !== 'scratch') throw new Error(`the final stage rests on ${chain[0].base}, not scratch`)

  const image: Image = { files: [], env: {}, user: 'root', workdir: '/', entrypoint: [], stages: named }
  for (const { op, args, heredoc } of chain.flatMap((s) => s.instructions)) {
    if (op === 'COPY') {
      const words = args.split(/\s+/)
      const flags = words.filter((w) => w.startsWith('--'))
      const paths = words.filter((w) => !w.startsWith('--'))
      const from = flags.find((f) => f.startsWith('--from='))?.slice(7)
      if (flags.length !== (from ? 1 : 0)) throw new Error(`COPY ${args}: only --from is understood here`)
      const dest = paths.pop()!
      if (heredoc !== undefined) {
        image.files.push({ path: dest, from: 'heredoc', source: dest, content: heredoc })
        continue
      }
      if (!from) {
        throw new Error(`COPY ${args}: a file from the build context; the image copies from stages only`)
      }
      const intoDir = dest.endsWith('/') || paths.length > 1
      for (const source of paths) {
        image.files.push({ path: intoDir ? join(dest, basename(source)) : dest, from, source })
      }
    } else if (op === 'ENV') {
      const [, key, value] = /^(\w+)=(.*)$/.exec(args)!
      image.env[key] = value
    } else if (op === 'USER') image.user = args
    else if (op === 'WORKDIR') image.workdir = args
    else if (op === 'ENTRYPOINT') image.entrypoint = JSON.parse(args)
    else throw new Error(`${op} in a scratch stage is not understood here`)
  }
  return image
}

/**
 * Writes `image`'s files under `root`; `resolve` says where on this machine the bytes of a file
 * from another stage are. The mount points a runtime provides (/proc, the workdir) are made too.
 */
export function assemble(image: Image, root: string, resolve: (file: ImageFile) => string): void {
  chmodSync(root, 0o755) // an image's / is; a temporary directory is 700
  for (const file of image.files) {
    const target = join(root, file.path)
    mkdirSync(dirname(target), { recursive: true })
    if (file.content !== undefined) {
      writeFileSync(target, file.content)
      continue
    }
    const source = resolve(file)
    writeFileSync(target, readFileSync(source)) // follows symlinks, as COPY does for its sources
    chmodSync(target, statSync(source).mode & 0o777)
  }
  mkdirSync(join(root, 'proc'), { recursive: true })
  mkdirSync(join(root, image.workdir), { recursive: true })
}

/** The ELF interpreter and NEEDED libraries of a binary, by readelf. */
export function linked(binary: string): { interpreter: string; needed: string[] } {
  const run = (flag: string) => spawnSync('readelf', [flag, '-W', binary], { encoding: 'utf8' }).stdout
  return {
    interpreter: /program interpreter: ([^\]]+)\]/.exec(run('-l'))![1],
    needed: [...run('-d').matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]),
  }
}

/** What a run inside the image did. */
export interface ImageRun {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs the entrypoint with `args` inside `root` as the image's user, in a new mount and PID
 * namespace: the root bind-mounted read-only, `volume` mounted read-write at the workdir, /proc
 * mounted, and the environment only the image's ENV and `env`.
 */
export function runImage(
  image: Image,
  root: string,
  volume: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ImageRun> {
  const [uid, gid] = image.user.split(':')
  // Positional, not exported: the entrypoint sees only the image's environment and `env`.
  const inner = [
    'R=$1 V=$2 W=$3',
    'shift 3',
    '/bin/mount --bind "$R" "$R"',
    '/bin/mount -o remount,bind,ro "$R"',
    '/bin/mount --bind "$V" "$R$W"',
    `exec /usr/bin/unshare --pid --fork --mount-proc --root="$R" --wd="$W" --setuid ${uid} --setgid ${gid} "$@"`,
  ].join(' && ')
  const child = spawn('/usr/bin/unshare', [
    '--mount',
    '--propagation',
    'private',
    '/bin/sh',
    '-c',
    inner,
    'sh',
    root,
    volume,
    image.workdir,
    ...image.entrypoint,
    ...args,
  ], { env: { ...image.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (d) => out.push(d))
  child.stderr.on('data', (d) => err.push(d))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }))
  })
}
