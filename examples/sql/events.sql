-- Used by examples/chunked.yaml. ${SINCE} is filled from -p SINCE=... or the environment.
select id, occurred_at, kind, payload
  from public.events
 where occurred_at >= '${SINCE}'
