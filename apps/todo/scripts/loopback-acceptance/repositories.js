// LoopBack's TodoRepository, over HTTP: the tests seed and inspect the store through the app's
// own REST API instead of an in-process repository.
//
//   create(data)    POST /todos                     → a Todo entity made from the 200 body
//   findById(id)    GET /todos/{id}                 → a Todo entity; 404 → EntityNotFoundError
//   deleteAll()     GET /todos, DELETE /todos/{id}  (neither LoopBack's example nor Portico
//                                                    routes a bulk delete)
//
// In-process, these calls never reach the HTTP layer, so they never show in the request log
// that `logs http requests` reads. Over HTTP they do: they are sent with USER_AGENT, which
// application.js leaves out of what it forwards to that log, and deleteAll (the suite's
// `beforeEach`) returns only once the app's log lines for its requests have been read, so that
// none arrives after the test has redirected the log.
'use strict';
const {lbRequire} = require('./lb');

const {EntityNotFoundError} = lbRequire('@loopback/repository');
const {Todo} = lbRequire('@loopback/example-todo/dist/models');

const USER_AGENT = 'portico-loopback-acceptance-harness';

async function call(baseUrl, method, path, body) {
  const init = {method, headers: {accept: 'application/json', 'user-agent': USER_AGENT}};
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(baseUrl + path, init);
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return {status: res.status, text, json};
}

function unexpected(what, res) {
  return new Error(`${what}: the app answered ${res.status} ${res.text}`);
}

class TodoRepository {
  constructor(baseUrl, logsSettled = async () => {}) {
    this.baseUrl = baseUrl;
    this.logsSettled = logsSettled;
  }

  async create(data) {
    const res = await call(this.baseUrl, 'POST', '/todos', data);
    if (res.status !== 200) throw unexpected('POST /todos', res);
    return new Todo(res.json);
  }

  async findById(id) {
    const res = await call(this.baseUrl, 'GET', `/todos/${encodeURIComponent(id)}`);
    if (res.status === 404) throw new EntityNotFoundError(Todo, id);
    if (res.status !== 200) throw unexpected(`GET /todos/${id}`, res);
    return new Todo(res.json);
  }

  async deleteAll() {
    let count = 0;
    for (;;) {
      const res = await call(this.baseUrl, 'GET', '/todos');
      if (res.status !== 200) throw unexpected('GET /todos', res);
      if (res.json.length === 0) {
        await this.logsSettled();
        return {count};
      }
      for (const {id} of res.json) {
        const del = await call(this.baseUrl, 'DELETE', `/todos/${encodeURIComponent(id)}`);
        if (del.status !== 204) throw unexpected(`DELETE /todos/${id}`, del);
        count++;
      }
    }
  }
}

module.exports = {TodoRepository, USER_AGENT};
