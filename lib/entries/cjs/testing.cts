/** `require('peerchannel/testing')`: the ES module itself, loaded by Node's require(esm) (see load-esm.cts). */
import loadEsm = require('./load-esm.cjs');

export = loadEsm(() => require('../testing.js'), 'peerchannel/testing');
