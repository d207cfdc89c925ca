'use strict'

require('abstract-level/test')(require('./common'))
