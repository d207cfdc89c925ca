'use strict'

// Preloaded (node -r) into the tape process by scripts/test-asan.sh: makes
// every setTimeout / setInterval of the test process wait SOPHIA_ASAN_TIMER_SCALE
// times longer (default 3).
//
// Under ASan a process starts about three times slower (~250 ms instead of
// ~100 ms to open a database). A few tests SIGKILL a writer child a fixed few
// hundred milliseconds after spawning it and expect it to have acknowledged
// some writes by then (test/crash-test.js: 150-400 ms; test/sophia-env-test.js:
// 300 ms); scaled, they test the same thing under ASan. Child processes are
// not affected (they do not inherit -r). Delays of 0 stay 0.

const scale = Number(process.env.SOPHIA_ASAN_TIMER_SCALE || 3)

if (Number.isFinite(scale) && scale > 0 && scale !== 1) {
  const { setTimeout: realSetTimeout, setInterval: realSetInterval } = global
  const scaled = (delay) => (typeof delay === 'number' && delay > 0 ? delay * scale : delay)
  global.setTimeout = Object.assign(function setTimeout (callback, delay, ...args) {
    return realSetTimeout(callback, scaled(delay), ...args)
  }, realSetTimeout)
  global.setInterval = Object.assign(function setInterval (callback, delay, ...args) {
    return realSetInterval(callback, scaled(delay), ...args)
  }, realSetInterval)
}
