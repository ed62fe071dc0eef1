// Times node-x12 on one X12 file; prints one JSON object. Run by compare.sh (see there), with NODE_PATH
// pointing at the node_modules that holds node-x12.
//
// usage: node node_x12.js FILE REPS [--check]
//
// - tokenizer: X12Parser's segment splitter (`_parseSegments(edi, segmentTerminator, elementDelimiter)`, the
//   first step of `parse`: a character loop building X12Segment/X12Element objects). It is underscore-named,
//   so the public `parse` is timed as well.
// - parse: `new X12Parser(true).parse(edi)`, strict mode, into the interchange / group / transaction model.
// - --check: exits non-zero unless the strict parser accepts the file with no diagnostics.
// One untimed warm-up run precedes each measurement so V8 has compiled the hot paths.
'use strict'

const fs = require('fs')
const { X12Parser } = require('node-x12')
const version = require('node-x12/package.json').version

function timed (fn, reps) {
  fn()
  const times = []
  let result
  for (let i = 0; i < reps; i++) {
    const start = process.hrtime.bigint()
    result = fn()
    times.push(Number(process.hrtime.bigint() - start) / 1e9)
  }
  return { times, result }
}

function summary (times, size) {
  const sorted = [...times].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { reps: times.length, median_s: median, min_s: sorted[0], mb_per_s: size / median / 1e6 }
}

function main () {
  const args = process.argv.slice(2)
  const check = args.includes('--check')
  const [path, repsText] = args.filter(a => a !== '--check')
  const reps = Number(repsText)
  const edi = fs.readFileSync(path, 'ascii')
  const size = Buffer.byteLength(edi, 'ascii')

  if (check) {
    const parser = new X12Parser(true)
    const interchange = parser.parse(edi) // throws on what strict mode rejects
    if (parser.diagnostics.length > 0) {
      for (const d of parser.diagnostics.slice(0, 20)) console.error(`node-x12: ${d.message}`)
      process.exitCode = 1
      return
    }
    const groups = interchange.functionalGroups.length
    const transactions = interchange.functionalGroups.reduce((n, g) => n + g.transactions.length, 0)
    console.error(`node-x12 ${version} strict parse: ${groups} groups, ${transactions} transactions, no diagnostics`)
  }

  // The delimiters as X12Parser detects them: element separator at byte 3, segment terminator at byte 105.
  const tokenizer = timed(() => new X12Parser(true)._parseSegments(edi, edi.charAt(105), edi.charAt(3)), reps)
  const parse = timed(() => new X12Parser(true).parse(edi), reps)
  console.log(JSON.stringify({
    tool: `node-x12 ${version}`,
    node: process.version,
    bytes: size,
    segments: tokenizer.result.length,
    tokenize: summary(tokenizer.times, size),
    parse: summary(parse.times, size)
  }))
}

main()
