'use strict'

// Event-loop stall monitor: a 1 ms interval timer that records the longest
// gap between two of its ticks, attributed to the workload running when the
// gap ended. The workloads yield to the event loop (setImmediate) about every
// 1000 entries, so a gap is at most one such chunk plus whatever the
// database did synchronously — a native call that blocks shows as a spike.

const { performance } = require('perf_hooks')

const INTERVAL_MS = 1

class StallMonitor {
  constructor () {
    this.timer = null
    this.last = 0
    this.current = null
    this.maxMs = 0
    this.maxWorkload = null
    this.byWorkload = {}
  }

  start () {
    this.last = performance.now()
    this.timer = setInterval(() => this._tick(), INTERVAL_MS)
    return this
  }

  /**
   * Names what runs from now on: a workload, or 'open/close' between them.
   * The gap so far is charged to what ran before.
   */
  enter (workload) {
    this._tick()
    this.current = workload
    if (!(workload in this.byWorkload)) this.byWorkload[workload] = 0
  }

  stop () {
    this._tick()
    clearInterval(this.timer)
    this.timer = null
    this.current = null
  }

  _tick () {
    const now = performance.now()
    const gap = now - this.last
    this.last = now
    if (this.current === null) return
    if (gap > this.byWorkload[this.current]) this.byWorkload[this.current] = gap
    if (gap > this.maxMs) {
      this.maxMs = gap
      this.maxWorkload = this.current
    }
  }

  result () {
    const round = (ms) => Math.round(ms * 100) / 100
    const byWorkload = {}
    for (const [name, ms] of Object.entries(this.byWorkload)) byWorkload[name] = round(ms)
    return { intervalMs: INTERVAL_MS, maxMs: round(this.maxMs), workload: this.maxWorkload, byWorkload }
  }
}

module.exports = { StallMonitor }
