'use strict'

// Formatting: the machine line, the results table and the JSON file.

const fs = require('fs')
const os = require('os')
const path = require('path')

const RESULTS_DIR = path.join(__dirname, 'results')

function machine () {
  const cpus = os.cpus()
  return {
    cpu: cpus.length > 0 ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemoryMiB: Math.round(os.totalmem() / 1024 / 1024)
  }
}

function machineLine (m) {
  return `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.platform}`
}

function formatRate (rate) {
  return rate === undefined || rate === null ? 'n/a' : Math.round(rate).toLocaleString('en-US')
}

function formatRatio (a, b) {
  if (a === undefined || b === undefined || a === null || b === null || b === 0) return '–'
  return `${(a / b).toFixed(2)}x`
}

function formatBytes (bytes) {
  if (bytes === undefined || bytes === null) return 'n/a'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`
}

/**
 * A Markdown table: `header` is an array of strings, `rows` arrays of cells.
 * The first `leftColumns` columns are left-aligned, the others right-aligned.
 */
function table (header, rows, leftColumns = 1) {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => String(row[c]).length)))
  const line = (cells) => '| ' + cells.map((cell, c) => {
    const text = String(cell)
    return c < leftColumns ? text.padEnd(widths[c]) : text.padStart(widths[c])
  }).join(' | ') + ' |'
  const rule = '|' + widths.map((w, c) => c < leftColumns ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':').join('|') + '|'
  return [line(header), rule, ...rows.map(line)].join('\n')
}

/**
 * Of several runs of the same workloads ({ [id]: result } each), the median
 * run of each workload: the result whose rate is the median of the runs'
 * (the lower middle one for an even number of runs), so that its other
 * counts are those of one real run.
 */
function medianRound (runs) {
  const out = {}
  for (const id of Object.keys(runs[0])) {
    const sorted = runs.map((run) => run[id]).filter((result) => result !== undefined).sort((a, b) => a.rate - b.rate)
    out[id] = sorted[(sorted.length - 1) >> 1]
  }
  return out
}

/** Per workload, the sophia/classic ratio of each round: `rounds` is { [backend]: [{ [id]: result }] }. */
function roundRatioLines (workloads, rounds) {
  const sophia = rounds['sophia-level'] ?? []
  const classic = rounds['classic-level'] ?? []
  const width = Math.max(...workloads.map((w) => `${w.label}:`.length))
  return workloads.map((w) => {
    const ratios = sophia.map((run, r) => formatRatio(run[w.id]?.rate, classic[r]?.[w.id]?.rate))
    return `  ${`${w.label}:`.padEnd(width)}  ${ratios.join('  ')}`
  })
}

/** The main table from the per-backend results and the native baseline. */
function resultsTable (workloads, results, native) {
  const header = [
    'workload',
    'sophia-level ops/s',
    'classic-level ops/s',
    'memory-level ops/s',
    'native C ops/s',
    'sophia/classic',
    'sophia/memory',
    'sophia/native'
  ]
  const rows = workloads.map((w) => {
    const rate = (name) => results[name]?.[w.id]?.rate
    const nativeRate = w.native !== undefined ? native?.workloads?.[w.native]?.rate : undefined
    const sophia = rate('sophia-level')
    return [
      `${w.label} (${w.unit})`,
      formatRate(sophia),
      formatRate(rate('classic-level')),
      formatRate(rate('memory-level')),
      w.native !== undefined ? formatRate(nativeRate) : '–',
      formatRatio(sophia, rate('classic-level')),
      formatRatio(sophia, rate('memory-level')),
      formatRatio(sophia, nativeRate)
    ]
  })
  return table(header, rows)
}

/**
 * Per workload with a native column: native C ops/s ÷ classic-level ops/s,
 * the best sophia/classic ratio possible if the binding cost nothing.
 * { [id]: ratio, or null when a rate is missing }.
 */
function floors (workloads, results, native) {
  const out = {}
  for (const w of workloads) {
    if (w.native === undefined) continue
    const nativeRate = native?.workloads?.[w.native]?.rate
    const classic = results['classic-level']?.[w.id]?.rate
    out[w.id] = nativeRate > 0 && classic > 0 ? Math.round(nativeRate / classic * 1000) / 1000 : null
  }
  return out
}

/**
 * Per point workload: the rate of native C's time plus the harness's own time
 * per operation (`harness`: the results on the backend that stores nothing),
 * ÷ classic-level's rate. The operations are awaited one after the other, so
 * no backend can overlap the two: this is also out of any binding's reach.
 * { [id]: ratio, or null when a rate is missing }.
 */
function harnessFloors (workloads, results, native, harness) {
  const out = {}
  for (const w of workloads) {
    if (w.native === undefined || !w.noStorage) continue
    const nativeRate = native?.workloads?.[w.native]?.rate
    const harnessRate = harness?.[w.id]?.rate
    const classic = results['classic-level']?.[w.id]?.rate
    out[w.id] = nativeRate > 0 && harnessRate > 0 && classic > 0
      ? Math.round(1 / (1 / nativeRate + 1 / harnessRate) / classic * 1000) / 1000
      : null
  }
  return out
}

/** The floor lines printed under the table, one per workload with a native column. */
function floorLines (workloads, floorRatios, harnessRatios) {
  const rows = workloads.filter((w) => w.id in floorRatios)
  const width = Math.max(...rows.map((w) => `${w.label} (${w.unit}):`.length))
  const format = (ratio) => ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`
  return rows.map((w) => {
    const line = `  ${`${w.label} (${w.unit}):`.padEnd(width)}  floor: native C ops/s ÷ classic-level ops/s = ${format(floorRatios[w.id])}`
    return w.id in harnessRatios ? `${line}; with the harness's time: ${format(harnessRatios[w.id])}` : line
  })
}

function stallLine (name, stall) {
  if (stall === undefined) return `  ${name}: n/a`
  return `  ${name}: ${stall.maxMs.toFixed(1)} ms (during ${stall.workload})`
}

/** The native-call table: method, workload of its longest call, that call, calls, mean. */
function nativeCallsTable (top) {
  const header = ['method', 'workload of the max', 'max ms', 'calls', 'mean µs']
  const rows = top.map((r) => [
    r.method,
    r.workload,
    r.maxMs.toFixed(3),
    r.count.toLocaleString('en-US'),
    r.meanUs.toFixed(2)
  ])
  return table(header, rows, 2)
}

function writeJson (file, data) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  const full = path.join(RESULTS_DIR, file)
  fs.writeFileSync(full, JSON.stringify(data, null, 2) + '\n')
  return full
}

module.exports = {
  machine,
  machineLine,
  formatRate,
  formatRatio,
  formatBytes,
  table,
  medianRound,
  roundRatioLines,
  resultsTable,
  floors,
  harnessFloors,
  floorLines,
  stallLine,
  nativeCallsTable,
  writeJson
}
