// Loaded by mocha (`--require`) before LoopBack's compiled acceptance tests: redirects the few
// modules that make up LoopBack's in-process harness to their over-HTTP stand-ins in this
// folder. Only requires made from LoopBack's own test folder are redirected; the test files
// themselves run unmodified from node_modules/@loopback/example-todo/dist/__tests__/.
'use strict';
const Module = require('module');
const path = require('path');

const here = __dirname;
const redirects = {
  // acceptance/todo.acceptance.js and acceptance/home-page.acceptance.js
  '../../application': path.join(here, 'application.js'),
  // acceptance/test-helper.js imports TodoListApplication from the package's index
  '../..': path.join(here, 'application.js'),
  '../../repositories/': path.join(here, 'repositories.js'),
  // createRestAppClient: LoopBack's own, plus waiting for the app's log lines (see testlab.js)
  '@loopback/testlab': path.join(here, 'testlab.js'),
  // helpers.js: LoopBack's own proxy, with its recorded answers kept fresh on request
  '@loopback/http-caching-proxy': path.join(here, 'http-caching-proxy.js'),
};

const original = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const from = parent && parent.filename;
  if (
    from &&
    from.includes(`${path.sep}example-todo${path.sep}dist${path.sep}__tests__${path.sep}`) &&
    Object.prototype.hasOwnProperty.call(redirects, request)
  ) {
    return redirects[request];
  }
  return original.call(this, request, parent, ...rest);
};
