#!/usr/bin/env python3
"""Writes an AddressSanitizer + UndefinedBehaviorSanitizer variant of binding.gyp.

Usage: binding-gyp.py SOURCE_GYP DEST_GYP [--sophia-no-sanitize=CHECK,...]

Reads the project's binding.gyp (a Python literal, like every gyp file), so
that the source list and flags stay whatever the real build uses, and:

  * drops every -O level from the targets' cflags / cflags_cc (node's
    common.gypi -O3 included) and compiles with
    -fsanitize=address,undefined -fno-omit-frame-pointer -g -O1 instead;
  * links the addon with -fsanitize=address,undefined (GCC then records
    libasan.so and libubsan.so as DT_NEEDED of sophia_level.node);
  * compiles the `sophia` target (deps/sophia/sophia.c, Sophia's amalgamation)
    without the UBSan checks named by --sophia-no-sanitize, default
    DEFAULT_SOPHIA_NO_SANITIZE below; an empty list keeps them all. The
    binding (binding/*.cc) always keeps every check, and AddressSanitizer is
    never turned off anywhere.

The checks turned off in Sophia by default are those that fire in Sophia's own
code during the test suite, each benign (scripts/test-asan.sh with
SOPHIA_ASAN_AUDIT=1 lists every report site):

  alignment          >100 sites: Sophia reads and writes its records through
                     packed structs (ss_buf.h, sd_index.h, sf.h, ss_stdvfs.c,
                     ss_crc.c ...); misaligned loads are fine on x86-64.
  builtin            ZSTD_highbit (bundled ZSTD) calls __builtin_clz(0) from
                     ZSTD_compressSequences and then overwrites the result.
                     GCC 12's libubsan cannot suppress this check at run time
                     and reports it on every call.
  nonnull-attribute  memcpy(dst, NULL, 0) in ss_bufensure (ss_buf.h:94),
                     sf_schemeadd (sf_scheme.c:180), sd_indexcopy_buf
                     (sd_index.h:141) and sr_conf_serialize (sr_conf.c:265):
                     nothing is copied. (ASan's memcpy interceptor still checks
                     every real copy.)
  null               se_read (se_read.c:151) returns &ret->o with ret == NULL
                     for a missing key: o is the first member, the result is
                     NULL and nothing is dereferenced. (A real NULL dereference
                     still faults and ASan reports it.)
  shift              (shift-exponent) FSE_readBits (bundled ZSTD,
                     ss_zstdfilter.c:1662) shifts a 64-bit container by 64
                     once the bit stream is consumed: x86-64 masks the count,
                     and later ZSTD versions mask it explicitly;
                     (shift-base) FSE_writeHeader_generic (ss_zstdfilter.c:862)
                     shifts an int 65535 left by 16, into the sign bit, while
                     packing a header: the bits come out as intended.
                     GCC 12 cannot turn shift-exponent off on its own (only
                     with shift-base), hence the whole group.

Runtime suppressions by function (UBSAN_OPTIONS=suppressions=) would be more
selective for the last three, but make libubsan load the symbolizer in every
process that opens a database (~150 ms under ASan), which is enough to break
the tests that SIGKILL a writer a fixed few hundred milliseconds after
spawning it (test/sophia-env-test.js, test/crash-test.js).
"""

import ast
import json
import sys

SANITIZE = ['-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-g', '-O1']
DEFAULT_SOPHIA_NO_SANITIZE = 'alignment,builtin,nonnull-attribute,null,shift'


def strip_opt(flags):
    return [f for f in flags if not (f.startswith('-O') and len(f) <= 3)]


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    source, dest = argv[1], argv[2]
    sophia_off = DEFAULT_SOPHIA_NO_SANITIZE
    for arg in argv[3:]:
        if arg.startswith('--sophia-no-sanitize='):
            sophia_off = arg.split('=', 1)[1]
        else:
            sys.exit('unknown argument %s\n%s' % (arg, __doc__))
    sophia_off = [c.strip() for c in sophia_off.split(',') if c.strip()]
    if 'address' in sophia_off or 'undefined' in sophia_off:
        sys.exit('--sophia-no-sanitize takes individual UBSan checks, not address or undefined')

    with open(source) as f:
        gyp = ast.literal_eval(f.read())

    names = [t['target_name'] for t in gyp['targets']]
    if 'sophia' not in names or 'sophia_level' not in names:
        sys.exit('binding.gyp: expected targets sophia and sophia_level, found %s' % names)

    for target in gyp['targets']:
        target['cflags'] = strip_opt(target.get('cflags', [])) + SANITIZE
        if 'cflags_cc' in target:
            target['cflags_cc'] = strip_opt(target['cflags_cc'])
        # node's common.gypi adds -O3 (Release) after the target's flags: drop
        # it, so that -O1 is the only level on the command line.
        target['cflags!'] = target.get('cflags!', []) + ['-O2', '-O3']
        if target['target_name'] == 'sophia' and sophia_off:
            target['cflags'].append('-fno-sanitize=' + ','.join(sophia_off))
        if target.get('type', 'loadable_module') != 'static_library':
            target['ldflags'] = target.get('ldflags', []) + ['-fsanitize=address,undefined']

    with open(dest, 'w') as f:
        f.write('# Generated by scripts/asan/binding-gyp.py from %s: do not edit.\n' % source)
        json.dump(gyp, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv)
