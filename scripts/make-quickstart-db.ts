/**
 * Builds examples/quickstart.db, the sample shop database the README's first command exports.
 * Deterministic (seeded), so the committed file only changes when this script does.
 * Run: bun scripts/make-quickstart-db.ts
 */
import { Database } from 'bun:sqlite'
import { rmSync } from 'node:fs'

const path = new URL('../examples/quickstart.db', import.meta.url).pathname
rmSync(path, { force: true })
const db = new Database(path, { create: true })

let seed = 42
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]

db.run(`create table customers (
  id integer primary key, name text not null, email text, country text,
  signed_up_at timestamp not null, is_active boolean not null, profile json)`)
db.run(`create table products (
  id integer primary key, sku text not null, title text not null,
  price decimal(10,2) not null, weight_kg real, released_on date)`)
db.run(`create table orders (
  id integer primary key, customer_id integer not null, product_id integer not null,
  quantity integer not null, amount decimal(12,2) not null, status text not null,
  ordered_at timestamp not null, shipped_on date, note text)`)

const first = [
  'Ada',
  'Linus',
  'Grace',
  'Ken',
  'Barbara',
  'Dennis',
  'Margaret',
  'Edsger',
  'Frances',
  'Niklaus',
]
const last = [
  'Lovelace',
  'Torvalds',
  'Hopper',
  'Thompson',
  'Liskov',
  'Ritchie',
  'Hamilton',
  'Dijkstra',
  'Allen',
  'Wirth',
]
const countries = ['SE', 'DE', 'US', 'JP', 'BR', 'NG', 'IN', 'FR', null]
const insertCustomer = db.prepare('insert into customers values (?, ?, ?, ?, ?, ?, ?)')
for (let id = 1; id <= 200; id++) {
  const name = `${pick(first)} ${pick(last)}`
  const day = new Date(
    Date.UTC(2023, 0, 1) + Math.floor(rand() * 700) * 86400000 + Math.floor(rand() * 86400) * 1000,
  )
  insertCustomer.run(
    id,
    name,
    rand() < 0.9 ? `${name.toLowerCase().replace(' ', '.')}${id}@example.com` : null,
    pick(countries),
    day.toISOString().replace('T', ' ').replace('Z', ''),
    rand() < 0.8 ? 1 : 0,
    JSON.stringify({ newsletter: rand() < 0.5, tags: rand() < 0.3 ? ['vip'] : [] }),
  )
}

const insertProduct = db.prepare('insert into products values (?, ?, ?, ?, ?, ?)')
const items = [
  'Rivet',
  'Bolt',
  'Washer',
  'Bracket',
  'Hinge',
  'Spring',
  'Gasket',
  'Clamp',
  'Pulley',
  'Sprocket',
]
for (let id = 1; id <= 50; id++) {
  const cents = 99 + Math.floor(rand() * 20000)
  insertProduct.run(
    id,
    `SKU-${String(id).padStart(4, '0')}`,
    `${pick(['Steel', 'Brass', 'Titanium', 'Nylon'])} ${pick(items)} ${id}`,
    `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    Math.round(rand() * 5000) / 1000,
    rand() < 0.9
      ? new Date(Date.UTC(2019, 0, 1) + Math.floor(rand() * 2000) * 86400000).toISOString().slice(0, 10)
      : null,
  )
}

const insertOrder = db.prepare('insert into orders values (?, ?, ?, ?, ?, ?, ?, ?, ?)')
const statuses = ['placed', 'paid', 'shipped', 'delivered', 'returned']
db.transaction(() => {
  for (let id = 1; id <= 2000; id++) {
    const quantity = 1 + Math.floor(rand() * 5)
    const cents = quantity * (99 + Math.floor(rand() * 20000))
    const at = Date.UTC(2025, 0, 1) + Math.floor(rand() * 365 * 86400) * 1000 +
      Math.floor(rand() * 1000000) / 1000
    const ordered = new Date(at)
    const micros = String(Math.floor(rand() * 1000000)).padStart(6, '0')
    const status = pick(statuses)
    insertOrder.run(
      id,
      1 + Math.floor(rand() * 200),
      1 + Math.floor(rand() * 50),
      quantity,
      `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
      status,
      `${ordered.toISOString().slice(0, 19).replace('T', ' ')}.${micros}`,
      status === 'shipped' || status === 'delivered'
        ? new Date(at + 2 * 86400000).toISOString().slice(0, 10)
        : null,
      rand() < 0.1
        ? pick(['gift wrap, please', 'leave at the "back" door', 'call before\ndelivery', ''])
        : null,
    )
  }
})()
db.run('vacuum')
db.close()
console.log(`wrote ${path}`)
