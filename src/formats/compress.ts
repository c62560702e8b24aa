/**
 * Block compressors from the runtime's own zlib (Bun and Deno both ship zstd, gzip and their
 * streaming forms), so rivet carries no compression code of its own.
 */
import zlib from 'node:zlib'

/** Compresses one block. */
export type BlockCompressor = (input: Uint8Array) => Uint8Array

/** zstd at level 3, the usual speed/size balance. */
export const zstd: BlockCompressor = (input) =>
  zlib.zstdCompressSync(input, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } })

/** gzip at level 6. */
export const gzip: BlockCompressor = (input) => zlib.gzipSync(input, { level: 6 })
