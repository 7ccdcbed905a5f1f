// Drives the API explorer (Swagger UI at /explorer) of a running portico-todo-jwt in headless
// Chromium the way a person would: signs up and logs in through the explorer's own forms, sees
// GET /todos answer 401, pastes the token into "Authorize", and sees GET /todos and GET /whoAmI
// answer 200. Run by authorize-check.sh beside it, which starts the app and installs
// playwright-core (package.json here) under target/; not meant to be run on its own.
//
//   node authorize-check.mjs URL
//
// Environment:
//   AUTHORIZE_CHECK_NODE_DIR  the directory whose node_modules holds playwright-core (required)
//   AUTHORIZE_SCREENSHOT      also save a PNG of the page at the end (or at the failing step)
//   CHROMIUM                  the browser to drive (default /usr/bin/chromium)
import { createRequire } from 'node:module';
import path from 'node:path';

const prefix = 'authorize-check';
const base = process.argv[2];
const nodeDir = process.env.AUTHORIZE_CHECK_NODE_DIR;
if (!base || !nodeDir) {
  console.error(`${prefix}: usage: AUTHORIZE_CHECK_NODE_DIR=DIR node authorize-check.mjs URL`);
  process.exit(2);
}
const { chromium } = createRequire(path.join(path.resolve(nodeDir), 'package.json'))('playwright-core');
const screenshot = process.env.AUTHORIZE_SCREENSHOT || '';
// Generous: CI has two cores, and Chromium shares them with the app and cargo's leftovers.
const TIMEOUT_MS = 30_000;

let page;
let current = 'start';

class CheckError extends Error {}
function check(condition, message) {
  if (!condition) throw new CheckError(message);
}

async function step(name, body) {
  current = name;
  const started = Date.now();
  const result = await body();
  console.log(`${prefix}: ok: ${name} (${Date.now() - started} ms)`);
  return result;
}

// The operation's block in the explorer, found from the document (method and path → its tag and
// operationId) and the ids Swagger UI really rendered: `operations-<tag>-<operationId>`, with
// the operationId's dots escaped (`UserController\.signup`) by current Swagger UIs.
async function operation(doc, method, route) {
  const op = doc.paths?.[route]?.[method];
  check(op?.operationId, `the document has no operationId for ${method.toUpperCase()} ${route}`);
  const tag = op.tags?.[0] ?? 'default';
  const wanted = `operations-${tag}-${op.operationId}`;
  const ids = await page.$$eval('.opblock', (blocks) => blocks.map((block) => block.id));
  const id = ids.find((candidate) => candidate.replaceAll('\\', '') === wanted);
  check(id, `no rendered operation block ${wanted} for ${method.toUpperCase()} ${route}; rendered: ${ids.join(', ')}`);
  const block = page.locator(`[id=${JSON.stringify(id)}]`);
  check((await block.count()) === 1, `${(await block.count())} blocks with id ${id}`);
  return { block, label: `${method.toUpperCase()} ${route}` };
}

// Expands the operation and presses "Try it out" (once: the button then reads "Cancel").
async function tryItOut({ block }) {
  if (!(await block.evaluate((element) => element.classList.contains('is-open')))) {
    await block.locator('.opblock-summary').first().click();
  }
  const button = block.locator('.try-out__btn');
  await button.waitFor();
  if (!(await block.locator('.execute').count())) await button.click();
  await block.locator('.execute').waitFor();
}

// Empties the operation's optional query parameters, as a person does before a plain call:
// Swagger UI pre-fills an object parameter such as GET /todos's `filter` with a sample it
// generates from the schema, and that sample is not a filter the app accepts (400).
async function clearQueryParameters({ block }) {
  const fields = block.locator('tr[data-param-in="query"] textarea, tr[data-param-in="query"] input[type="text"]');
  for (let index = 0; index < (await fields.count()); index += 1) {
    await fields.nth(index).fill('');
  }
}

// Presses Execute and reads the rendered live response: its code and its body's text. Any
// earlier response is cleared first, so the one read is the one this press brought.
async function execute({ block, label }) {
  const clear = block.locator('.btn-clear');
  if (await clear.count()) {
    await clear.first().click();
    await block.locator('.live-responses-table').waitFor({ state: 'detached' });
  }
  await block.locator('.execute').click();
  const row = block.locator('.responses-wrapper .live-responses-table tbody tr.response').first();
  await row.waitFor();
  const statusText = (await row.locator('.response-col_status').innerText()).trim();
  const status = /^\d{3}/.exec(statusText)?.[0];
  check(status, `${label}: the rendered response code is ${JSON.stringify(statusText)}`);
  const bodyBlock = row.locator('.response-col_description .highlight-code pre').first();
  const body = (await bodyBlock.count()) ? (await bodyBlock.innerText()).trim() : '';
  const requestUrl = block.locator('.responses-wrapper .request-url pre').first();
  const url = (await requestUrl.count()) ? (await requestUrl.innerText()).trim() : '(none shown)';
  return { status, body, url };
}

function expectStatus(label, response, want) {
  check(
    response.status === want,
    `${label}: the explorer shows ${response.status}, expected ${want}; request URL: ${response.url}; body: ${response.body.slice(0, 600)}`,
  );
}

function parseBody(label, response) {
  try {
    return JSON.parse(response.body);
  } catch {
    throw new CheckError(`${label}: the rendered body is not JSON: ${response.body.slice(0, 300)}`);
  }
}

async function run() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    timeout: 60_000,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
    page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    try {
      await checks(pageErrors);
    } finally {
      if (screenshot) {
        await page.screenshot({ path: screenshot, fullPage: true }).then(
          () => console.log(`${prefix}: screenshot in ${screenshot}`),
          (error) => console.error(`${prefix}: (no screenshot: ${error.message})`),
        );
      }
    }
  } finally {
    await browser.close();
  }
}

async function checks(pageErrors) {
  const doc = await step('fetch /openapi.json', async () => {
    const response = await fetch(`${base}/openapi.json`);
    check(response.ok, `GET /openapi.json answered ${response.status}`);
    const doc = await response.json();
    const scheme = doc.components?.securitySchemes?.jwt;
    check(
      scheme?.type === 'http' && scheme?.scheme?.toLowerCase() === 'bearer',
      `the document's security scheme jwt is ${JSON.stringify(scheme)}, not http bearer`,
    );
    return doc;
  });

  await step('load /explorer', async () => {
    await page.goto(`${base}/explorer`, { waitUntil: 'load', timeout: 60_000 });
    await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
    await page.locator('.btn.authorize').first().waitFor();
  });

  const signup = await operation(doc, 'post', '/signup');
  const login = await operation(doc, 'post', '/users/login');
  const findTodos = await operation(doc, 'get', '/todos');
  const whoAmI = await operation(doc, 'get', '/whoAmI');

  const email = `authorize-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const credentials = JSON.stringify({ email, password }, null, 2);

  const user = await step('sign up through the explorer (POST /signup → 200)', async () => {
    await tryItOut(signup);
    await signup.block.locator('textarea.body-param__text').fill(credentials);
    const response = await execute(signup);
    expectStatus(signup.label, response, '200');
    const user = parseBody(signup.label, response);
    check(user.email === email && user.id, `${signup.label}: the rendered user is ${response.body.slice(0, 300)}`);
    return user;
  });

  const token = await step('log in through the explorer (POST /users/login → 200 and a token)', async () => {
    await tryItOut(login);
    await login.block.locator('textarea.body-param__text').fill(credentials);
    const response = await execute(login);
    expectStatus(login.label, response, '200');
    const { token } = parseBody(login.label, response);
    check(typeof token === 'string' && token.split('.').length === 3, `${login.label}: no JWT in ${response.body.slice(0, 300)}`);
    return token;
  });

  await step('before authorizing, GET /todos → 401', async () => {
    await tryItOut(findTodos);
    await clearQueryParameters(findTodos);
    const response = await execute(findTodos);
    expectStatus(findTodos.label, response, '401');
    check(response.url === `${base}/todos`, `${findTodos.label}: the explorer called ${response.url}`);
  });

  await step('Authorize: paste the token into the jwt scheme', async () => {
    await page.locator('.btn.authorize').first().click();
    const dialog = page.locator('.modal-ux');
    await dialog.waitFor();
    const scheme = dialog.locator('.auth-container').filter({ has: page.locator('h4 code', { hasText: /^jwt$/ }) });
    check((await scheme.count()) === 1, `the Authorize dialog shows ${await scheme.count()} jwt schemes`);
    const input = scheme.locator('input').first();
    await input.fill(token);
    await scheme.locator('.auth-btn-wrapper .authorize').click();
    // Once authorized, the scheme reads "Authorized" and offers Logout instead of Authorize.
    await scheme.locator('.auth-btn-wrapper button', { hasText: 'Logout' }).waitFor();
    await scheme.locator('.btn-done').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.btn.authorize.locked').first().waitFor();
  });

  await step('after authorizing, GET /todos → 200 []', async () => {
    const response = await execute(findTodos);
    expectStatus(findTodos.label, response, '200');
    check(response.url === `${base}/todos`, `${findTodos.label}: the explorer called ${response.url}`);
    const todos = parseBody(findTodos.label, response);
    check(Array.isArray(todos) && todos.length === 0, `${findTodos.label}: expected [], the explorer shows ${response.body.slice(0, 300)}`);
    const curl = await findTodos.block.locator('.curl-command').innerText();
    check(curl.includes(`Authorization: Bearer ${token}`), `${findTodos.label}: the rendered curl sends no bearer token: ${curl}`);
  });

  await step('after authorizing, GET /whoAmI → 200', async () => {
    await tryItOut(whoAmI);
    const response = await execute(whoAmI);
    expectStatus(whoAmI.label, response, '200');
    // LoopBack's whoAmI answers the caller's id, as text.
    check(response.body.includes(user.id), `${whoAmI.label}: expected the id ${user.id}, the explorer shows ${response.body.slice(0, 300)}`);
  });

  await step('the explorer raised no page error', async () => {
    check(pageErrors.length === 0, `the explorer threw: ${pageErrors.join('; ')}`);
  });
}

const deadline = setTimeout(() => {
  console.error(`${prefix}: FAIL at step "${current}": the whole check took over 150 s`);
  process.exit(1);
}, 150_000);

try {
  await run();
  clearTimeout(deadline);
  console.log(`${prefix}: browser checks passed`);
} catch (error) {
  clearTimeout(deadline);
  const detail = error instanceof CheckError ? error.message : (error?.stack ?? String(error));
  console.error(`${prefix}: FAIL at step "${current}": ${detail}`);
  process.exit(1);
}
