/**
 * Reading the small XML answers of S3, Azure and STS: the text of named elements with XML's
 * entities decoded (S3 quotes names in error messages as &#39;), without an XML parser.
 */

/** The text of the first `<name>` element of an XML answer (error codes, ids). */
export function xmlTag(xml: string, name: string): string | undefined {
  const text = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1]
  return text === undefined ? undefined : decodeXml(text)
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Decodes XML's five named entities and numeric character references. */
function decodeXml(text: string): string {
  return text.replace(
    /&(?:#x([0-9a-f]+)|#(\d+)|(\w+));/gi,
    (entity, hex?: string, dec?: string, named?: string) => {
      if (named) return XML_ENTITIES[named] ?? entity
      return String.fromCodePoint(hex ? parseInt(hex, 16) : Number(dec))
    },
  )
}

/** The text of every `<name>` element of an XML answer, decoded (the object names of a listing). */
export function xmlTexts(xml: string, name: string): string[] {
  return Array.from(xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g')), (m) => decodeXml(m[1]))
}

/**
 * The raw inner XML of every `<name>` element (the entries of a listing), for {@link xmlTag} to
 * take fields from: decoding it first would decode the fields' text twice.
 */
export function xmlElements(xml: string, name: string): string[] {
  return Array.from(xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g')), (m) => m[1])
}
