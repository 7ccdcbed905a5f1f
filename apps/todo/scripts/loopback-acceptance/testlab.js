// @loopback/testlab, with createRestAppClient waiting for the app's log lines.
//
// LoopBack's `createRestAppClient(app)` is `supertest(app.restServer.url)`; so is this one. The
// only addition: once a test has redirected the request log (`configure('middleware.morgan')`,
// see application.js), every request made through the client resolves only after the lines the
// app logged for it have been read from its stderr. In-process, morgan writes its line before
// the test's `await` resumes; across processes, the line travels through a pipe.
'use strict';
const {lbRequire} = require('./lb');

const testlab = lbRequire('@loopback/testlab');

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options'];

function createRestAppClient(app) {
  const client = testlab.createRestAppClient(app);
  if (typeof app.logsSettled !== 'function') return client;
  for (const method of METHODS) {
    const make = client[method].bind(client);
    client[method] = (...args) => {
      const test = make(...args);
      const then = test.then.bind(test);
      test.then = (resolve, reject) =>
        then(async res => {
          await app.logsSettled();
          return res;
        }).then(resolve, reject);
      return test;
    };
  }
  return client;
}

module.exports = {...testlab, createRestAppClient};
