'use strict'

// Extracts sanitizer reports from test output and ASan log files, for
// scripts/test-asan.sh.
//
//   node scripts/asan/reports.js [--audit] [--leaks=OUT] FILE...
//   node scripts/asan/reports.js --summarize-leaks LEAKFILE...
//
// The first form prints the reports that count, separated by blank lines,
// and exits 0. They are:
//   * every AddressSanitizer error (==PID==ERROR: AddressSanitizer: ...);
//   * every UndefinedBehaviorSanitizer error (FILE:LINE:COL: runtime error:),
//     but with --audit those located in Sophia (sophia/...), which the audit
//     lists instead of failing on.
// LeakSanitizer's leaks ("Direct leak of ..." / "Indirect leak of ...") do not
// count: with --leaks=OUT, those whose allocation stack goes through the
// binding or Sophia are appended to OUT (Node, not instrumented, leaves its own
// allocations to the OS at exit, and most of what LeakSanitizer reports in a
// Node process is not a leak: see scripts/test-asan.sh, SOPHIA_ASAN_LEAKS).
//
// The second form prints those leaks grouped by allocation stack, biggest
// first.

const fs = require('fs')

const args = process.argv.slice(2)
const audit = args.includes('--audit')
const leaksOut = (args.find((a) => a.startsWith('--leaks=')) || '').slice('--leaks='.length) || null
const summarize = args.includes('--summarize-leaks')
const files = args.filter((a) => !a.startsWith('--'))

const ours = /sophia_level\.node|\.\.\/binding\/|binding\/[a-z_]+\.(cc|h)|sophia\/[a-z_]+\/[a-z_]+\.[ch]:/
const start = /runtime error:|==\d+==ERROR: AddressSanitizer|^(Direct|Indirect) leak of/

function reportsIn (text) {
  const lines = text.split('\n')
  const reports = []
  let current = null
  const finish = () => {
    if (current !== null) reports.push(current.join('\n').trimEnd())
    current = null
  }
  for (const line of lines) {
    if (start.test(line)) {
      finish()
      current = [line]
      continue
    }
    if (current === null) continue
    const isAsan = /ERROR: AddressSanitizer/.test(current[0])
    // An ASan report runs to its SUMMARY line (and the shadow map after it is
    // left out); a UBSan report or a leak ends at the blank line after its
    // stack.
    if (isAsan) {
      current.push(line)
      if (/^SUMMARY: AddressSanitizer/.test(line)) finish()
    } else if (line.trim() === '' && current.some((l) => /^\s+#\d+ /.test(l))) {
      finish()
    } else {
      current.push(line)
    }
    if (current !== null && current.length > 200) finish()
  }
  finish()
  return reports
}

// The frames that say where a leak comes from: ours and Sophia's, without
// addresses, and without Node-API / V8 / libuv plumbing.
function origin (report) {
  return report.split('\n')
    .filter((l) => /^\s+#\d+ /.test(l))
    .slice(1, 16)
    .map((l) => l.replace(/^\s+#\d+ 0x[0-9a-f]+ in /, '').replace(/\s+\(\/.*\)$/, ''))
    .filter((l) => /sophia_level::|binding\/|sophia\//.test(l))
    .map((l) => l.replace(/\(.*\)(?= )/, '').replace(/ \.\.\/binding\//, ' binding/').replace(/ sophia\/[a-z_]+\//, ' '))
    .slice(0, 8)
    .join(' < ') || '(frames in sophia_level.node that could not be symbolized)'
}

if (summarize) {
  const groups = new Map()
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8')
    for (const report of reportsIn(text)) {
      const first = report.split('\n')[0]
      const m = /^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object/.exec(first)
      if (m === null) continue
      const key = `${m[1]}: ${origin(report)}`
      const group = groups.get(key) || { bytes: 0, objects: 0, reports: 0, files: new Set() }
      group.bytes += Number(m[2])
      group.objects += Number(m[3])
      group.reports++
      group.files.add(require('path').basename(file).replace(/\.leaks$/, ''))
      groups.set(key, group)
    }
  }
  for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(`${String(g.bytes).padStart(8)} B ${String(g.objects).padStart(5)} objects ${String(g.reports).padStart(3)} reports  ${key}\n${' '.repeat(33)}in ${[...g.files].join(', ')}`)
  }
  process.exit(0)
}

const counted = []
const leaks = []
for (const file of files) {
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    continue
  }
  for (const report of reportsIn(text)) {
    const first = report.split('\n')[0]
    if (/^(Direct|Indirect) leak of/.test(first)) {
      if (ours.test(report)) leaks.push(report)
      continue
    } else if (/runtime error:/.test(first)) {
      if (audit && /sophia\/[a-z_]+\/[a-z_0-9]+\.[ch]:\d+(:\d+)?: runtime error/.test(first)) continue
    }
    counted.push(`[${file}]\n${report}`)
  }
}
if (counted.length > 0) process.stdout.write(counted.join('\n\n') + '\n\n')
if (leaksOut !== null && leaks.length > 0) fs.appendFileSync(leaksOut, leaks.join('\n\n') + '\n\n')
