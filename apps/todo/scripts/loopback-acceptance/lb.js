// `require` as seen from the installed @loopback/example-todo, so that the harness shares the
// very module instances the tests load (EntityNotFoundError, the Todo model, RestBindings…).
'use strict';
const Module = require('module');
const path = require('path');

const nodeModules = process.env.LOOPBACK_ACCEPTANCE_NODE_MODULES;
if (!nodeModules) {
  throw new Error('LOOPBACK_ACCEPTANCE_NODE_MODULES is not set (run loopback-acceptance.sh)');
}
const exampleDir = path.join(nodeModules, '@loopback', 'example-todo');
const lbRequire = Module.createRequire(path.join(exampleDir, 'package.json'));

module.exports = {exampleDir, lbRequire};
