/** SQL Server type mapping, fidelity labels, and the query that reads columns as exact text. */
import { describe, expect, test } from 'bun:test'
import {
  describeSqlServerColumn,
  exactQuery,
  type SqlServerColumnInfo,
} from '../../../src/sources/sqlserver/types.ts'

function info(typeName: string, precision = 0, scale = 0, name = 'c'): SqlServerColumnInfo {
  return { name, typeName, precision, scale, nullable: true }
}

describe('describeSqlServerColumn', () => {
  test.each([
    ['tinyint', 0, 0, { kind: 'int', bits: 8, signed: false }],
    ['smallint', 0, 0, { kind: 'int', bits: 16, signed: true }],
    ['bigint', 0, 0, { kind: 'int', bits: 64, signed: true }],
    ['decimal(38,10)', 38, 10, { kind: 'decimal', precision: 38, scale: 10 }],
    ['numeric(5,0)', 5, 0, { kind: 'decimal', precision: 5, scale: 0 }],
    ['money', 19, 4, { kind: 'decimal', precision: 19, scale: 4 }],
    ['smallmoney', 10, 4, { kind: 'decimal', precision: 10, scale: 4 }],
    ['real', 24, 0, { kind: 'float', bits: 32 }],
    ['float', 53, 0, { kind: 'float', bits: 64 }],
    ['bit', 1, 0, { kind: 'bool' }],
    ['nvarchar(max)', 0, 0, { kind: 'string' }],
    ['ntext', 0, 0, { kind: 'string' }],
    ['xml', 0, 0, { kind: 'string' }],
    ['varbinary(max)', 0, 0, { kind: 'bytes' }],
    ['timestamp', 0, 0, { kind: 'bytes' }],
    ['uniqueidentifier', 0, 0, { kind: 'uuid' }],
    ['date', 10, 0, { kind: 'date' }],
    ['time(3)', 12, 3, { kind: 'time' }],
    ['datetime', 23, 3, { kind: 'timestamp', utc: false }],
    ['smalldatetime', 16, 0, { kind: 'timestamp', utc: false }],
    ['datetime2(6)', 26, 6, { kind: 'timestamp', utc: false }],
    ['datetimeoffset(0)', 26, 0, { kind: 'timestamp', utc: true }],
  ])('%s is exact', (typeName, precision, scale, type) => {
    expect(describeSqlServerColumn(info(typeName, precision, scale))).toMatchObject({
      sourceType: typeName,
      type,
      fidelity: 'exact',
    })
  })

  test.each(['time(7)', 'datetime2(7)', 'datetimeoffset(7)'])('%s is lossy: the 100 ns digit', (typeName) => {
    const column = describeSqlServerColumn(info(typeName, 0, 7, 'at'))
    expect(column.fidelity).toBe('lossy')
    expect(column.type).toBeDefined()
    expect(column.hint).toBe(
      'microseconds are kept, the 100 ns digit is dropped; columns: { at: "string" } keeps all 7 digits as text',
    )
  })

  test('unsupported types say what to cast to; CLR types can be kept as bytes', () => {
    expect(describeSqlServerColumn(info('sql_variant', 0, 0, 'v'))).toEqual({
      name: 'v',
      sourceType: 'sql_variant',
      nullable: true,
      fidelity: 'unsupported',
      hint: 'cast it in a query, e.g. cast([v] as nvarchar(max)) as [v]',
    })
    expect(describeSqlServerColumn(info('geography', 0, 0, 'g'))).toMatchObject({
      fidelity: 'unsupported',
      hint: 'cast it in a query, e.g. [g].STAsText() as [g] (WKT) or [g].STAsBinary() as [g] (WKB)',
      suggestedOverride: 'bytes',
    })
    expect(describeSqlServerColumn(info('hierarchyid', 0, 0, 'h]x')).hint).toBe(
      'cast it in a query, e.g. [h]]x].ToString() as [h]]x]',
    )
  })
})

describe('exactQuery', () => {
  test('a query whose columns tedious reads exactly runs as it is', () => {
    const query = 'select id, name from t order by id'
    expect(exactQuery(query, [info('int', 0, 0, 'id'), info('nvarchar(10)', 0, 0, 'name')])).toBe(query)
  })

  test('decimal, money and temporal columns are converted to text in an outer select', () => {
    const columns = [
      info('int', 0, 0, 'id'),
      info('decimal(10,2)', 10, 2, 'total'),
      info('money', 19, 4, 'price'),
      info('date', 0, 0, 'day'),
      info('time(7)', 0, 7, 'at'),
      info('datetime', 0, 3, 'created'),
      info('datetime2(7)', 0, 7, 'updated'),
      info('datetimeoffset(7)', 0, 7, 'seen]'),
    ]
    expect(exactQuery('select * from t', columns)).toBe(
      'select [rivet_q].[id], cast([rivet_q].[total] as varchar(50)) as [total], ' +
        'cast(cast([rivet_q].[price] as decimal(19,4)) as varchar(50)) as [price], ' +
        'cast([rivet_q].[day] as varchar(10)) as [day], ' +
        'convert(varchar(16), [rivet_q].[at], 121) as [at], ' +
        'convert(varchar(27), [rivet_q].[created], 121) as [created], ' +
        'convert(varchar(27), [rivet_q].[updated], 121) as [updated], ' +
        "convert(varchar(34), switchoffset([rivet_q].[seen]]], '+00:00'), 121) as [seen]]] " +
        'from (select * from t) as [rivet_q]',
    )
  })
})
