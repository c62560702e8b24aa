/**
 * Parser for PostgreSQL's one-dimensional array text (`{1,NULL,"a,b"}`), used because rivet
 * reads every value as text to keep it exact.
 */

/** Splits array text into element texts; unquoted NULL is null. Throws on nested arrays. */
export function parsePgArray(text: string): (string | null)[] {
  // Arrays with explicit bounds look like `[0:2]={...}`: the bounds do not change the values.
  const body = text.startsWith('[') ? text.slice(text.indexOf('=') + 1) : text
  if (body[0] !== '{' || body[body.length - 1] !== '}') {
    throw new RangeError(`"${text.slice(0, 40)}" is not an array`)
  }
  const out: (string | null)[] = []
  let i = 1
  const end = body.length - 1
  if (i === end) return out
  while (i <= end) {
    if (body[i] === '{') {
      throw new RangeError('multi-dimensional arrays are not supported (Parquet LIST has one dimension)')
    }
    if (body[i] === '"') {
      let value = ''
      i++
      while (body[i] !== '"') {
        if (body[i] === '\\') i++
        // Text that ends inside quotes is not PostgreSQL's output; stop rather than read past it.
        if (i >= end) throw new RangeError(`"${text.slice(0, 40)}" is not an array`)
        value += body[i++]
      }
      out.push(value)
      i++
    } else {
      let j = i
      while (j < end && body[j] !== ',') j++
      const raw = body.slice(i, j)
      out.push(raw === 'NULL' ? null : raw)
      i = j
    }
    i++ // the comma, or the closing brace
  }
  return out
}
