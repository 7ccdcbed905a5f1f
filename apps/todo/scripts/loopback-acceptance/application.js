// LoopBack's TodoListApplication, over HTTP: each instance is one server process of the app
// under test (Portico's Todo app by default), started on a free port on the memory store.
//
// What a test configures in-process becomes the process's environment (see `environment`):
//
//   new TodoListApplication({rest: givenHttpServerConfig()})  HOST=127.0.0.1 PORT=0
//   bind('datasources.config.db').to({connector: 'memory'})   DATABASE_URL=memory:
//   bind(RestBindings.REQUEST_BODY_PARSER_OPTIONS)
//     .to({validation: {prohibitedKeys: [...]}})              PROHIBITED_KEYS=k1,k2
//   bind('datasources.config.geocoder').to(proxied config)     GEOCODER_PROXY=<proxy URL>
//   configure('middleware.morgan').to({stream})                the app's log lines (stderr) are
//                                                               written to `stream` from then on
//   get('services.Geocoder')                                   LoopBack's own Geocoder service,
//                                                               on the bound geocoder config
//   getRepository(TodoRepository)                              repositories.js, over HTTP (its
//                                                               requests are not forwarded to
//                                                               the morgan stream)
//
// Anything else a test binds fails loudly, so that a change in LoopBack's tests cannot be
// silently ignored. The app is started the way apps/todo/scripts/start-app.sh starts it
// (PORT=0 LOG_FORMAT=json RUST_LOG=info, URL read back from the `"url":"…"` log field).
//
// Environment:
//   LOOPBACK_ACCEPTANCE_TARGET  `portico` (default): run PORTICO_BIN in PORTICO_CWD;
//                               `loopback`: run LoopBack's own example (loopback-server.js),
//                               to check the harness itself
//   PORTICO_BIN, PORTICO_CWD    the app binary and its working directory
//   LOOPBACK_ACCEPTANCE_LOGS    a directory to keep each app process's stderr in
'use strict';
const {spawn} = require('child_process');
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const {lbRequire} = require('./lb');
const {TodoRepository, USER_AGENT} = require('./repositories');

const {RestBindings} = lbRequire('@loopback/rest');

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
let instances = 0;

function sleep(ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

class TodoListApplication {
  constructor(options = {}) {
    this.options = options;
    this.bindings = new Map();
    this.morganStream = undefined;
    this.child = undefined;
    this.lastLineAt = 0;
    this.restServer = {url: undefined, rootUrl: undefined};
  }

  bind(key) {
    const name = String(key);
    return {
      to: value => {
        this.bindings.set(name, value);
        return this;
      },
    };
  }

  configure(key) {
    const name = String(key);
    return {
      to: value => {
        if (name !== 'middleware.morgan' || !value || !value.stream) {
          throw new Error(`the HTTP harness cannot configure ${name} with ${JSON.stringify(value)}`);
        }
        this.morganStream = value.stream;
        return this;
      },
    };
  }

  async boot() {}

  environment() {
    const env = {DATABASE_URL: 'memory:'};
    const rest = this.options.rest || {};
    env.HOST = rest.host || '127.0.0.1';
    env.PORT = '0';
    for (const [key, value] of this.bindings) {
      if (key === 'datasources.config.db') {
        if (!value || value.connector !== 'memory') {
          throw new Error(`the HTTP harness has no store for ${JSON.stringify(value)}`);
        }
        env.DATABASE_URL = 'memory:';
      } else if (key === String(RestBindings.REQUEST_BODY_PARSER_OPTIONS)) {
        const keys = value && value.validation && value.validation.prohibitedKeys;
        const rest = {...value, validation: {...(value && value.validation)}};
        delete rest.validation.prohibitedKeys;
        if (!Array.isArray(keys) || Object.keys(rest.validation).length || Object.keys(rest).length > 1) {
          throw new Error(`the HTTP harness cannot pass body parser options ${JSON.stringify(value)}`);
        }
        env.PROHIBITED_KEYS = keys.join(',');
      } else if (key === 'datasources.config.geocoder') {
        if (value && value.options && value.options.proxy) env.GEOCODER_PROXY = value.options.proxy;
      } else {
        throw new Error(`the HTTP harness cannot pass binding ${key}`);
      }
    }
    return env;
  }

  command() {
    const target = process.env.LOOPBACK_ACCEPTANCE_TARGET || 'portico';
    if (target === 'loopback') {
      return {file: process.execPath, args: [path.join(__dirname, 'loopback-server.js')], cwd: process.cwd()};
    }
    if (target !== 'portico') throw new Error(`unknown LOOPBACK_ACCEPTANCE_TARGET ${target}`);
    const file = process.env.PORTICO_BIN;
    if (!file) throw new Error('PORTICO_BIN is not set (run loopback-acceptance.sh)');
    return {file, args: [], cwd: process.env.PORTICO_CWD || process.cwd()};
  }

  async start() {
    const {file, args, cwd} = this.command();
    const env = {...process.env, LOG_FORMAT: 'json', RUST_LOG: 'info', ...this.environment()};
    const child = spawn(file, args, {cwd, env, stdio: ['ignore', 'ignore', 'pipe']});
    this.child = child;
    running.add(child);
    const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({code, signal})));
    this.exited = exited;
    exited.then(() => running.delete(child));
    const logs = process.env.LOOPBACK_ACCEPTANCE_LOGS;
    const logFile = logs ? fs.createWriteStream(path.join(logs, `app-${++instances}.log`)) : undefined;
    let recent = [];
    const url = new Promise((resolve, reject) => {
      readline.createInterface({input: child.stderr}).on('line', line => {
        this.lastLineAt = Date.now();
        if (logFile) logFile.write(line + '\n');
        recent = [...recent.slice(-19), line];
        const found = /"url":"(http:\/\/[^"]*)"/.exec(line);
        if (found && !this.restServer.url) resolve(found[1]);
        // The harness's own seeding requests are no part of the app's log in-process.
        if (this.morganStream && !line.includes(USER_AGENT)) this.morganStream.write(messageOf(line) + '\n');
      });
      exited.then(({code, signal}) =>
        reject(new Error(`the app exited (${code ?? signal}) before listening:\n${recent.join('\n')}`)),
      );
      setTimeout(() => reject(new Error(`the app did not log its URL:\n${recent.join('\n')}`)), 30000);
    });
    this.restServer.url = await url;
  }

  // Resolves once the app has written nothing to stderr for a moment (see testlab.js); only
  // while the log is redirected, unless `always`.
  async logsSettled(always = false) {
    if (!this.morganStream && !always) return;
    await sleep(50);
    const deadline = Date.now() + 1000;
    while (Date.now() - this.lastLineAt < 50 && Date.now() < deadline) await sleep(10);
  }

  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  async get(key) {
    if (key === 'services.Geocoder') {
      const {GeocoderDataSource} = lbRequire('@loopback/example-todo/dist/datasources');
      const {getService} = lbRequire('@loopback/service-proxy');
      const config = this.bindings.get('datasources.config.geocoder');
      return getService(new GeocoderDataSource(config || GeocoderDataSource.defaultConfig));
    }
    throw new Error(`the HTTP harness cannot get ${key}`);
  }

  async getRepository(repositoryClass) {
    if (repositoryClass !== TodoRepository) {
      throw new Error(`the HTTP harness has no repository ${repositoryClass && repositoryClass.name}`);
    }
    return new TodoRepository(this.restServer.url, () => this.logsSettled(true));
  }
}

// The text of one log line: a JSON log's message (Portico's `fields.message`), else the line.
function messageOf(line) {
  try {
    const json = JSON.parse(line);
    const message = json && ((json.fields && json.fields.message) || json.message);
    if (typeof message === 'string') return message;
  } catch {
    // not JSON
  }
  return line;
}

module.exports = {TodoListApplication};
