// LoopBack's own example-todo as a server process that reads the same environment the harness
// gives Portico (see application.js), so that the HTTP-adapted suite can be run against LoopBack
// itself (LOOPBACK_ACCEPTANCE_TARGET=loopback): a check of the harness, not of Portico.
//
// It applies exactly what the in-process suite binds (givenRunningApplicationWithCustomConfiguration),
// logs its requests with morgan on stderr, and logs its URL on stderr as a JSON line, as Portico
// does with LOG_FORMAT=json.
'use strict';
const {lbRequire} = require('./lb');

const {TodoListApplication} = lbRequire('@loopback/example-todo');
const {GeocoderDataSource} = lbRequire('@loopback/example-todo/dist/datasources');
const {RestBindings} = lbRequire('@loopback/rest');
const {merge} = lbRequire('lodash');

async function main() {
  const env = process.env;
  if (env.DATABASE_URL !== 'memory:') throw new Error(`DATABASE_URL=${env.DATABASE_URL}: only memory: is supported`);
  const app = new TodoListApplication({
    rest: {host: env.HOST || '127.0.0.1', port: +(env.PORT || 0)},
  });
  if (env.PROHIBITED_KEYS) {
    app.bind(RestBindings.REQUEST_BODY_PARSER_OPTIONS).to({
      validation: {prohibitedKeys: env.PROHIBITED_KEYS.split(',')},
    });
  }
  await app.boot();
  app.bind('datasources.config.db').to({name: 'db', connector: 'memory'});
  if (env.GEOCODER_PROXY) {
    app
      .bind('datasources.config.geocoder')
      .to(merge({}, GeocoderDataSource.defaultConfig, {options: {proxy: env.GEOCODER_PROXY, tunnel: false}}));
  }
  app.configure('middleware.morgan').to({stream: {write: line => process.stderr.write(line)}});
  await app.start();
  process.stderr.write(JSON.stringify({message: 'Server is running', url: app.restServer.url}) + '\n');
  const stop = async () => {
    await app.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(err => {
  console.error('Cannot start LoopBack:', err);
  process.exit(1);
});
