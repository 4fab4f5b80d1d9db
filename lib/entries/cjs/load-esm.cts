/**
 * Loads one of PeerChannel's ES modules for a `require()` caller.
 *
 * @remarks
 * PeerChannel ships one build, as ES modules, so an application that mixes `import` and `require`
 * still gets one copy of every class, decorator key and tsyringe registration (no dual-package
 * hazard). Node 20.19+ loads an ES module from `require()`; where it cannot (an older Node, or
 * `--no-experimental-require-module`) this throws an error that says what to do, with the code
 * `PC_ERR_REQUIRE_UNSUPPORTED` (a plain `Error`: `PeerChannelError` itself is in the ES module that
 * could not load).
 */
function loadEsm(load: () => unknown, entry: string): unknown {
  try {
    return load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    const failure = new Error(
      `'${entry}' is an ES module package and this Node.js (${process.version}) cannot require() it. ` +
        'Use Node.js 20.19 or later without --no-experimental-require-module, or load it with import / await import(). ' +
        'There is no separate CommonJS build (see docs/package.md).',
      { cause: err },
    );
    Object.assign(failure, { code: 'PC_ERR_REQUIRE_UNSUPPORTED' });
    throw failure;
  }
}

export = loadEsm;
