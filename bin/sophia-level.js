#!/usr/bin/env node
'use strict'

// The command-line tool: `sophia-level --help`. The code is cli.ts,
// compiled to dist/cli.js.
require('../dist/cli.js').run(process.argv.slice(2))
