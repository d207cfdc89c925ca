#!/usr/bin/env bash
# Builds the binding and Sophia with AddressSanitizer + UndefinedBehaviorSanitizer
# (-fsanitize=address,undefined -fno-omit-frame-pointer -g -O1) and runs the
# test suite against that build.
#
#   scripts/test-asan.sh                      # every test/*-test.js but $SOPHIA_ASAN_SKIP
#   scripts/test-asan.sh test/close-test.js   # some of them (paths relative to
#                                             # the repository; the copies run)
#
# Nothing under build/ is touched. Everything goes to build-asan/ (or
# $SOPHIA_ASAN_DIR):
#
#   build-asan/pkg/    a copy of the working tree (without .git, build/,
#                      prebuilds/; dist/ compiled from the .ts sources;
#                      node_modules -> the repository's) whose
#                      build/Release/sophia_level.node is the sanitized build,
#                      so node-gyp-build loads that one and nothing else;
#                      the binding.gyp there is generated from the real one by
#                      scripts/asan/binding-gyp.py;
#   build-asan/logs/   per test file: tape's output (.tap), stderr (.stderr);
#                      asan.<exe>.<pid>: AddressSanitizer reports, one file per
#                      process that reported (GCC's UBSan writes to stderr).
#
# Node itself is not instrumented: the sanitizer runtimes are LD_PRELOADed
# (ASan's must come first in the library list), and the child processes and
# worker threads the tests start inherit them. A test file passes when tape
# reports no failure, its process exits 0 and no sanitizer report appeared in
# its output or in the ASan log files.
#
# Sophia's own benign undefined behaviour is silenced in the sophia target
# only, check by check (alignment, builtin, nonnull-attribute, null, shift:
# why each, in scripts/asan/binding-gyp.py). The binding keeps every check,
# and ASan is on everywhere.
#
# Environment:
#   SOPHIA_ASAN_DIR           output directory (default: <repo>/build-asan)
#   SOPHIA_ASAN_SKIP_BUILD=1  reuse the previous sanitized build and staging copy
#   SOPHIA_ASAN_NO_TSC=1      copy dist/ instead of compiling the .ts sources
#   SOPHIA_ASAN_SOPHIA_NO_SANITIZE  the UBSan checks compiled out of Sophia
#                             (comma-separated; default in binding-gyp.py)
#   SOPHIA_ASAN_AUDIT=1       every check on in Sophia too, and UBSan does not
#                             halt: lists every distinct report site in Sophia
#                             (fails only on reports outside Sophia)
#   SOPHIA_ASAN_LEAKS=1       also run LeakSanitizer at each process exit, and
#                             list (without failing: exploratory) the leaks
#                             whose stack goes through the binding or Sophia,
#                             grouped by stack. Expect false positives: Node
#                             is not instrumented and LeakSanitizer does not
#                             scan V8's heap (Node-API wrappers referenced from
#                             JS look leaked); process.exit() -- tape calls it
#                             -- skips Node's environment teardown, so the
#                             binding's cleanup hook does not run and Sophia
#                             environments still open are not destroyed, and
#                             Sophia keeps pointers in packed structs, at
#                             misaligned offsets LeakSanitizer does not scan.
#                             A database closed before exit shows no leak.
#   SOPHIA_ASAN_SKIP          space-separated test files not run by default
#                             (default: test/fetch-sophia-test.js,
#                             test/package-test.js, test/types-test.js, which
#                             load no native code of their own: they test the
#                             download script, npm pack and installing, and
#                             the TypeScript declarations, and run npm, make,
#                             gcc or tsc, which the preloaded runtime would
#                             instrument too)
#   SOPHIA_ASAN_JOBS          make -j (default: number of CPUs)
#   SOPHIA_ASAN_TIMER_SCALE   setTimeout/setInterval delays in the test process
#                             are multiplied by this (default 3; see
#                             scripts/asan/scale-timers.js)
#   ASAN_EXTRA_OPTIONS, UBSAN_EXTRA_OPTIONS   appended to the options below
#   CC, CXX                   compilers (default gcc, g++)

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${SOPHIA_ASAN_DIR:-$root/build-asan}
pkg=$out/pkg
logs=$out/logs
export CC=${CC:-gcc} CXX=${CXX:-g++}
jobs=${SOPHIA_ASAN_JOBS:-$(nproc 2>/dev/null || echo 2)}
audit=${SOPHIA_ASAN_AUDIT:-0}
leaks=${SOPHIA_ASAN_LEAKS:-0}
start=$SECONDS

say () { printf '\n== %s\n' "$*" >&2; }
die () { printf 'test-asan: %s\n' "$*" >&2; exit 2; }

# --- The sanitizer runtimes ----------------------------------------------------

runtime () {
  local lib
  lib=$("$CC" -print-file-name="$1")
  [ "$lib" != "$1" ] && [ -e "$lib" ] || die "no $1 for $CC (apt-get install $2)"
  readlink -f "$lib"
}
asan_rt=$(runtime libasan.so libasan8)
ubsan_rt=$(runtime libubsan.so libubsan1)

# --- node-gyp --------------------------------------------------------------------

if [ -n "${npm_config_node_gyp:-}" ] && [ -f "$npm_config_node_gyp" ]; then
  node_gyp=(node "$npm_config_node_gyp")
elif command -v node-gyp >/dev/null 2>&1; then
  node_gyp=(node-gyp)
else
  npm_root=$(npm root -g 2>/dev/null || true)
  [ -f "$npm_root/npm/node_modules/node-gyp/bin/node-gyp.js" ] || die 'node-gyp not found'
  node_gyp=(node "$npm_root/npm/node_modules/node-gyp/bin/node-gyp.js")
fi
# npm hands its configuration (nodedir: where Node's headers are) to node-gyp
# in npm_config_* variables; outside npm, ask it.
nodedir=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
case "$nodedir" in ''|undefined|null) gyp_args=() ;; *) gyp_args=(--nodedir "$nodedir") ;; esac

# --- Staging copy and build -----------------------------------------------------

if [ "${SOPHIA_ASAN_SKIP_BUILD:-0}" = 1 ]; then
  [ -f "$pkg/build/Release/sophia_level.node" ] || die "no previous build in $pkg"
  say "reusing $pkg/build/Release/sophia_level.node"
else
  [ -f "$root/deps/sophia/sophia.c" ] || die 'deps/sophia/sophia.c missing: run node scripts/fetch-sophia.js'
  say "staging the package in $pkg"
  mkdir -p "$pkg"
  # The whole working tree but VCS data, dependencies, build outputs and
  # prebuilds, afresh each time (the sanitized build/ and the generated
  # binding.gyp stay). tar keeps modification times, so make recompiles only
  # what changed.
  find "$pkg" -mindepth 1 -maxdepth 1 ! -name build ! -name binding.gyp -exec rm -rf {} +
  excludes=(--exclude=./.git --exclude=./node_modules --exclude=./build --exclude=./prebuilds
            --exclude=./dist --exclude=./binding.gyp)
  case "$out/" in "$root/"*) excludes+=("--exclude=./${out#"$root/"}") ;; esac
  tar -C "$root" --anchored "${excludes[@]}" -cf - . | tar -C "$pkg" -xf -
  ln -sfn "$root/node_modules" "$pkg/node_modules"
  # As `npm test` does: the existing dist/, compiled over (unless
  # SOPHIA_ASAN_NO_TSC=1) from the .ts sources.
  [ -d "$root/dist" ] && cp -a "$root/dist" "$pkg/dist"
  if [ "${SOPHIA_ASAN_NO_TSC:-0}" != 1 ]; then
    (cd "$root" && node_modules/.bin/tsc -p tsconfig.json --outDir "$pkg/dist") \
      || die 'tsc failed (SOPHIA_ASAN_NO_TSC=1 uses the existing dist/)'
  fi

  gyp_flags=()
  if [ "$audit" = 1 ]; then
    gyp_flags=(--sophia-no-sanitize=)
  elif [ -n "${SOPHIA_ASAN_SOPHIA_NO_SANITIZE+set}" ]; then
    gyp_flags=("--sophia-no-sanitize=$SOPHIA_ASAN_SOPHIA_NO_SANITIZE")
  fi
  new_gyp=$(mktemp)
  python3 "$root/scripts/asan/binding-gyp.py" "$root/binding.gyp" "$new_gyp" ${gyp_flags[@]+"${gyp_flags[@]}"}
  if cmp -s "$new_gyp" "$pkg/binding.gyp"; then
    rm -f "$new_gyp"
  else
    mv "$new_gyp" "$pkg/binding.gyp"
    rm -rf "$pkg/build"   # other flags: rebuild everything
  fi

  say "building with -fsanitize=address,undefined ($CC/$CXX, -j$jobs)"
  (cd "$pkg" && "${node_gyp[@]}" configure --release ${gyp_args[@]+"${gyp_args[@]}"} >"$out/configure.log" 2>&1) \
    || { cat "$out/configure.log" >&2; die 'node-gyp configure failed'; }
  (cd "$pkg" && "${node_gyp[@]}" build --release --jobs "$jobs" >"$out/build.log" 2>&1) \
    || { tail -60 "$out/build.log" >&2; die "node-gyp build failed (log: $out/build.log)"; }
fi

addon=$pkg/build/Release/sophia_level.node
ldd "$addon" | grep -q libasan || die "$addon is not linked against libasan"
say "built in $((SECONDS - start))s: $addon"

# --- Sanitizer options ------------------------------------------------------------

rm -rf "$logs"
mkdir -p "$logs"

# detect_leaks=0: node is not instrumented and leaves its own allocations to
# the OS at exit (SOPHIA_ASAN_LEAKS=1 looks at ours only).
# allow_user_segv_handler=1: V8 installs its own SIGSEGV handler (WebAssembly
# trap handler); ASan still reports the faults V8 does not handle.
# exitcode=86 / 87: a sanitizer's exit is told apart from a test's.
# With leak detection, exitcode=0: a process's leaks must not change its exit
# status (tests check their children's); its ASan errors are still found in
# the logs.
exitcode=86
if [ "$leaks" = 1 ]; then exitcode=0; fi
asan_options=(
  "detect_leaks=$leaks" halt_on_error=1 abort_on_error=0 "exitcode=$exitcode"
  allow_user_segv_handler=1 detect_stack_use_after_return=1
  check_initialization_order=1
  "log_path=$logs/asan" log_exe_name=1
)
ubsan_options=(print_stacktrace=1 halt_on_error=1 exitcode=87 report_error_type=1)
if [ "$audit" = 1 ]; then
  ubsan_options=(print_stacktrace=1 halt_on_error=0 report_error_type=1)
fi
asan_opts=$(IFS=:; echo "${asan_options[*]}")${ASAN_EXTRA_OPTIONS:+:$ASAN_EXTRA_OPTIONS}
ubsan_opts=$(IFS=:; echo "${ubsan_options[*]}")${UBSAN_EXTRA_OPTIONS:+:$UBSAN_EXTRA_OPTIONS}
# Only for the test processes (and their children), not for this script's
# own tools.
preload="$asan_rt $ubsan_rt${LD_PRELOAD:+ $LD_PRELOAD}"

# --- Running the tests ---------------------------------------------------------------

if [ $# -gt 0 ]; then
  files=()
  for f in "$@"; do files+=("${f#"$root/"}"); done
else
  skip=" ${SOPHIA_ASAN_SKIP-test/fetch-sophia-test.js test/package-test.js test/types-test.js} "
  files=()
  for f in "$pkg"/test/*-test.js; do
    f=test/${f##*/}
    case "$skip" in *" $f "*) continue ;; esac
    files+=("$f")
  done
fi

audit_flag=()
if [ "$audit" = 1 ]; then audit_flag=(--audit); fi

say "running ${#files[@]} test files under ASan+UBSan"
echo "LD_PRELOAD=$preload" >&2
echo "ASAN_OPTIONS=$asan_opts" >&2
echo "UBSAN_OPTIONS=$ubsan_opts" >&2
echo "timers in the test processes scaled x${SOPHIA_ASAN_TIMER_SCALE:-3} (scripts/asan/scale-timers.js)" >&2
printf '%-30s %6s %8s %5s %5s %5s  %s\n' file tests asserts fail exit secs sanitizer >&2
failed=0 total_cases=0 total_pass=0 total_fail=0 total_reports=0
for f in "${files[@]}"; do
  name=$(basename "$f" .js)
  t0=$SECONDS
  set +e
  (cd "$pkg" && LD_PRELOAD="$preload" ASAN_OPTIONS="$asan_opts" UBSAN_OPTIONS="$ubsan_opts" \
    node -r "$root/scripts/asan/scale-timers.js" node_modules/tape/bin/tape "$f") >"$logs/$name.tap" 2>"$logs/$name.stderr"
  status=$?
  set -e
  secs=$((SECONDS - t0))
  pass=$(sed -n 's/^# pass  *\([0-9]*\).*/\1/p' "$logs/$name.tap" | tail -1)
  fail=$(sed -n 's/^# fail  *\([0-9]*\).*/\1/p' "$logs/$name.tap" | tail -1)
  # Test cases: tape's "# name" headings before the "# tests" summary.
  cases=$(sed '/^# tests  *[0-9]/,$d' "$logs/$name.tap" | grep -c '^# ' || true)

  # This file's ASan logs: those not yet claimed by an earlier test file.
  for r in "$logs"/asan.*; do
    [ -e "$r" ] || continue
    mv "$r" "$logs/$name.${r##*/}.log"
  done
  # The reports that count (scripts/asan/reports.js says which).
  node "$root/scripts/asan/reports.js" ${audit_flag[@]+"${audit_flag[@]}"} "--leaks=$logs/$name.leaks" \
    "$logs/$name.stderr" "$logs/$name.tap" "$logs/$name".asan.*.log >"$logs/$name.reports"
  count=$(grep -cE 'runtime error:|ERROR: AddressSanitizer|(Direct|Indirect) leak' "$logs/$name.reports" || true)
  verdict=clean
  if [ "$count" -gt 0 ]; then verdict="$count report(s): $logs/$name.reports"; fi
  printf '%-30s %6s %8s %5s %5s %5s  %s\n' "$name" "$cases" "${pass:-0}" "${fail:-0}" "$status" "$secs" "$verdict" >&2
  total_cases=$((total_cases + cases))
  total_pass=$((total_pass + ${pass:-0}))
  total_fail=$((total_fail + ${fail:-0}))
  total_reports=$((total_reports + count))
  if [ "$status" -ne 0 ] || [ "$count" -gt 0 ] || [ -z "${pass:-}" ]; then
    failed=$((failed + 1))
    if [ "$count" -gt 0 ]; then
      head -80 "$logs/$name.reports" | sed 's/^/    /' >&2
    else
      printf '  --- not ok / stderr (last lines):\n' >&2
      grep -v '^ok ' "$logs/$name.tap" | tail -30 | sed 's/^/    /' >&2
      tail -20 "$logs/$name.stderr" | sed 's/^/    /' >&2
    fi
  fi
done

if [ "$audit" = 1 ]; then
  say 'audit: distinct UBSan report sites in Sophia (all test files, count = reports)'
  cat "$logs"/*.stderr "$logs"/*.tap \
    | grep -oE '^sophia/[^ ]+:[0-9]+(:[0-9]+)?: runtime error: [a-z ]+' \
    | sed -E 's/^([^:]+:[0-9]+)(:[0-9]+)?: runtime error: /\1 | /' \
    | sort | uniq -c | sort -k2 | tee "$logs/sophia-ubsan-sites.txt" >&2
  say "by kind ($(wc -l <"$logs/sophia-ubsan-sites.txt") sites):"
  awk -F' [|] ' '{print $2}' "$logs/sophia-ubsan-sites.txt" | sort | uniq -c >&2
fi

if [ "$leaks" = 1 ]; then
  say 'LeakSanitizer: leaks through the binding or Sophia, by allocation stack (exploratory: see SOPHIA_ASAN_LEAKS above)'
  if ls "$logs"/*.leaks >/dev/null 2>&1; then
    node "$root/scripts/asan/reports.js" --summarize-leaks "$logs"/*.leaks | tee "$logs/leaks-summary.txt" >&2
  else
    echo 'none' >&2
  fi
fi

say "${#files[@]} test files, $total_cases tests, $total_pass assertions passed, $total_fail failed, $total_reports sanitizer report(s), $((SECONDS - start))s in all; logs in $logs"
if [ $failed -gt 0 ]; then
  say "FAILED: $failed of ${#files[@]} test files"
  exit 1
fi
say 'clean'
