/**
 * The Parquet footer (FileMetaData), built as the file goes: each row group's metadata becomes
 * Thrift compact bytes as soon as the row group is written, so a file of thousands of row groups
 * holds a few hundred bytes per column chunk instead of an object tree, and its end builds no
 * burst of objects (a 100,000-row wide_text file's footer had taken ~30 MB of RSS at the end).
 * The fields and their encoding are hyparquet-writer's (its Thrift serializer, statistics
 * conversion and logical types), so the bytes are those its writeMetadata writes; tests compare.
 */
import type { ColumnChunk, SchemaElement } from 'hyparquet'
import {
  CompressionCodecs,
  ConvertedTypes,
  Encodings,
  FieldRepetitionTypes,
  PageTypes,
  ParquetTypes,
} from 'hyparquet/src/constants.js'
import { ByteWriter } from 'hyparquet-writer'
import { logicalType } from 'hyparquet-writer/src/metadata.js'
import { serializeTCompactProtocol } from 'hyparquet-writer/src/thrift.js'
import { unconvertStatistics } from 'hyparquet-writer/src/unconvert.js'

/** One row group as the footer lists it. */
export interface FooterRowGroup {
  columns: ColumnChunk[]
  /** Each column chunk's leaf schema element, for its statistics' byte form. */
  elements: SchemaElement[]
  numRows: bigint
  totalByteSize: bigint
  totalCompressedSize: bigint
}

// Thrift compact protocol: the type of a list of structs, a list field following field 3.
const STRUCT = 12
const LIST_FIELD_AFTER_3 = (1 << 4) | 9

/** Collects a file's row groups as bytes and writes the FileMetaData at the end. */
export class FooterWriter {
  private readonly rowGroups = new ByteWriter()
  private count = 0
  private rows = 0n

  constructor(private readonly schema: SchemaElement[], private readonly createdBy: string) {}

  /** Serializes a row group's metadata now; only its bytes are kept. */
  add(group: FooterRowGroup): void {
    serializeTCompactProtocol(this.rowGroups, {
      field_1: group.columns.map((c, i) => {
        const meta = c.meta_data!
        return {
          field_2: c.file_offset,
          field_3: {
            field_1: ParquetTypes.indexOf(meta.type),
            field_2: meta.encodings.map((e) => Encodings.indexOf(e)),
            field_3: meta.path_in_schema,
            field_4: CompressionCodecs.indexOf(meta.codec),
            field_5: meta.num_values,
            field_6: meta.total_uncompressed_size,
            field_7: meta.total_compressed_size,
            field_9: meta.data_page_offset,
            field_11: meta.dictionary_page_offset,
            field_12: meta.statistics && unconvertStatistics(meta.statistics, group.elements[i]),
            field_13: meta.encoding_stats?.map((s) => ({
              field_1: PageTypes.indexOf(s.page_type),
              field_2: Encodings.indexOf(s.encoding),
              field_3: s.count,
            })),
          },
        }
      }),
      field_2: group.totalByteSize,
      field_3: group.numRows,
      field_6: group.totalCompressedSize,
    })
    this.count++
    this.rows += group.numRows
  }

  /** Appends the FileMetaData and its length (not the closing magic). */
  write(out: ByteWriter): void {
    const start = out.offset
    // Fields 1 to 3, without the struct's closing STOP: the row groups follow as field 4.
    serializeTCompactProtocol(out, {
      field_1: 2,
      field_2: this.schema.map((element) => ({
        field_1: element.type && ParquetTypes.indexOf(element.type),
        field_2: element.type_length,
        field_3: element.repetition_type && FieldRepetitionTypes.indexOf(element.repetition_type),
        field_4: element.name,
        field_5: element.num_children,
        field_6: element.converted_type && ConvertedTypes.indexOf(element.converted_type),
        field_7: element.scale,
        field_8: element.precision,
        field_10: logicalType(element.logical_type),
      })),
      field_3: this.rows,
    })
    out.index--
    out.offset--
    out.appendUint8(LIST_FIELD_AFTER_3)
    if (this.count < 15) out.appendUint8((this.count << 4) | STRUCT)
    else {
      out.appendUint8(0xf0 | STRUCT)
      out.appendVarInt(this.count)
    }
    out.appendBytes(new Uint8Array(this.rowGroups.buffer, 0, this.rowGroups.index))
    // Fields 6 and 7 follow field 4: serialized after an empty field 4, whose two bytes are dropped.
    const tail = new ByteWriter()
    serializeTCompactProtocol(tail, {
      field_4: [],
      field_6: this.createdBy,
      field_7: this.schema.filter((element) => element.type).map(() => ({ field_1: {} })),
    })
    out.appendBytes(new Uint8Array(tail.buffer, 2, tail.index - 2))
    out.appendUint32(out.offset - start)
  }
}
