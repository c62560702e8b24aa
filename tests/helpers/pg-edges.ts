/**
 * A table of every PostgreSQL type rivet maps, at their edges (BC and far dates, numeric and
 * float extremes, text with commas, quotes and non-ASCII, arrays, enums), 3,000 rows plus a
 * row of NULLs with id 0: what the read paths are checked against each other on.
 */

/** SQL that creates `<schema>.edges` (and the enum `<schema>.color`) in an existing schema. */
export function edgesTable(schema: string): string {
  return String.raw`
    create type ${schema}.color as enum ('red', 'it''s');
    create table ${schema}.edges as
    select i as id,
           (array[0, 1, -1, 0.01, -0.01, 9999999999.99, -9999999999.99, 10000, 0.1, 123456.7, 100000000])[1 + i % 11]
             ::numeric(12,2) as n12,
           ((i * 7919)::numeric / 1000 - 500)::numeric(9,3) as n9,
           (case when i % 5 = 0 then -1 else 1 end * (10::numeric ^ (i % 30)) * 1.2345678901)::numeric(40,10) as n40,
           (i % 2000 - 1000)::numeric(4,0) as n4,
           (array[0.1, 1e-45, 3.4e38, -2.5, 16777217, 0.3, 1.17549435e-38, 123.456])[1 + i % 8]::real as r,
           i * 0.1::float8 - 1e-300 as d,
           (i % 60000 - 30000)::int2 as s,
           (i * 2654435761 % 4294967296 - 2147483648)::int4 as i4,
           (i::int8 * 1000000007 * 1000003) as i8,
           (i % 7)::oid as o,
           timestamp '0001-01-01 00:00:00 BC' + i * interval '5 days 3.000007 seconds' as ts,
           timestamptz '1969-12-31 23:59:59.999999+00' + (i - 1500) * interval '17 days 1 microsecond' as tz,
           date '4713-11-24 BC' + i * 1000 as dt,
           time '00:00:00' + i * interval '1.000001 second' as tm,
           case when i % 4 = 0 then null else repeat(chr(97 + i % 26), i % 40) || E'\u00e9\u20ac' end as txt,
           (repeat('x', i % 3))::char(4) as ch,
           ('v' || i)::varchar(20) as vc,
           decode(md5(i::text), 'hex') as b,
           md5(i::text)::uuid as u,
           jsonb_build_object('i', i, 's', 'q"' || i) as jb,
           json_build_array(i, null) as js,
           i % 3 = 0 as flag,
           (i * 1.25)::money as m,
           (case when i % 2 = 0 then 'red' else 'it''s' end)::${schema}.color as e,
           make_interval(0, i % 13, 0, i % 40, 0, 0, i * 0.001) as iv,
           ('10.0.' || (i % 256) || '.1')::inet as ip,
           array[i, null, -i]::int4[] as ia,
           array['a,' || i, null]::text[] as ta
      from generate_series(1, 3000) as i;
    insert into ${schema}.edges (id) values (0);
  `
}
