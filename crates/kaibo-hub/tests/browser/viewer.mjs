// Drives the hub's viewer page in headless Chromium (the system's /usr/bin/chromium) while the
// host acts through the API. Usage: HUB_URL=http://127.0.0.1:PORT HOST_TOKEN=… node viewer.mjs
// Exits 0 when every step showed up on the page, 1 with the failed step otherwise.
import { chromium } from 'playwright-core';

const BASE = process.env.HUB_URL;
const HOST = process.env.HOST_TOKEN;
const SHOT = process.env.SCREENSHOT;
const STEP_MS = 15000;
if (!BASE || !HOST) { console.error('set HUB_URL and HOST_TOKEN'); process.exit(2); }

async function call(method, path, token, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: 'Bearer ' + token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(data)}`);
  return data;
}
const host = (method, path, body) => call(method, '/api/v1/host' + path, HOST, body);

let step = 'launch';
const problems = [];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  page.on('dialog', (d) => { problems.push('a dialog opened: ' + d.message()); d.dismiss(); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('request', (r) => { if (!r.url().startsWith(BASE)) problems.push('external request: ' + r.url()); });
  const waitText = (selector, text) => page.waitForFunction(
    ([s, x]) => [...document.querySelectorAll(s)].some((e) => e.textContent.includes(x)),
    [selector, text], { timeout: STEP_MS });

  step = 'privacy notice and join';
  await page.goto(BASE + '/');
  await page.waitForSelector('#join-view:not([hidden])', { timeout: STEP_MS });
  await waitText('#privacy', '138****5678');
  await page.fill('#nickname', '张三丰');
  await page.click('#join');
  await waitText('#join-error', '同意');
  await page.check('#accept');
  await page.click('#join');
  await page.waitForSelector('body[data-live="1"]', { timeout: STEP_MS });
  await waitText('#me', '张**');

  step = 'a hostile question renders as text';
  const hostile = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>\u202Eevil';
  await page.fill('#question', hostile);
  await page.click('#send');
  await waitText('#question-list .text', '<img src=x onerror=');
  const shown = await page.$$eval('#question-list .text', (ps) => ps.map((p) => p.textContent));
  if (!shown.includes(hostile.replace('\u202E', ''))) throw new Error('hostile text not shown verbatim: ' + JSON.stringify(shown));
  if (await page.$('#question-list img, #question-list script')) throw new Error('markup became elements');

  step = 'a flagged question is held, masked';
  await page.fill('#question', '加我微信 13812345678 有优惠吗');
  await page.click('#send');
  await waitText('#ask-status', '审核');
  await waitText('#question-list .text', '138****5678');

  step = 'the host approves and pins it; the page shows it live';
  const queue = await host('GET', '/questions?status=held');
  if (queue.length !== 1) throw new Error('held queue: ' + JSON.stringify(queue));
  const held = queue[0].id;
  await host('POST', `/questions/${held}/approve`);
  await host('POST', `/questions/${held}/pin`);
  await page.waitForSelector(`#question-list li.pinned[data-id="${held}"]`, { timeout: STEP_MS });
  await waitText('#question-list li.pinned .badge', '主播正在回答');

  step = 'another viewer asks; the question arrives live and can be liked once';
  const other = await call('POST', '/api/v1/join', '', { nickname: 'Bob', accept_privacy: true });
  const theirs = await call('POST', '/api/v1/questions', other.token, { text: '第二个问题：几点结束？' });
  await page.waitForSelector(`#question-list li[data-id="${theirs.id}"]`, { timeout: STEP_MS });
  await page.click(`#question-list li[data-id="${theirs.id}"] button.like`);
  await page.waitForSelector(`#question-list li[data-id="${theirs.id}"] button.like:disabled`, { timeout: STEP_MS });
  await waitText(`#question-list li[data-id="${theirs.id}"] button.like`, '♥ 1');

  step = 'the host opens a poll; the viewer votes';
  const poll = await host('POST', '/polls', { title: '想先看哪款？', options: ['A 款', 'B 款'] });
  await host('POST', `/polls/${poll.id}/open`);
  await waitText('#poll-title', '想先看哪款');
  await page.click('#poll-options li:first-child button');
  await waitText('#poll-options li:first-child .votes', '1');
  await waitText('#poll-status', '已投票');

  step = 'rating';
  await page.click('#stars button:nth-child(4)');
  await waitText('#rating-status', '感谢');

  step = 'the draw: countdown, entry, winners';
  const lottery = await host('POST', '/lottery', { title: '整点红包', kind: 'red-envelope', window_s: 600 });
  await waitText('#lottery-title', '整点红包');
  await page.waitForSelector('#enter:not([disabled])', { timeout: STEP_MS });
  await page.click('#enter');
  await waitText('#lottery-status', '已参与');
  await host('POST', '/offer', { title: '限时特价', detail: '前 50 名半价', duration_s: 600 });
  await page.waitForSelector('#offer:not([hidden])', { timeout: STEP_MS });
  await waitText('#offer-title', '限时特价');
  await host('POST', `/lottery/${lottery.id}/close`);
  await host('POST', `/lottery/${lottery.id}/draw`);
  await waitText('#winners .winner', '张**');

  step = 'English';
  await page.click('#lang');
  await waitText('#rating h2', 'Rate this session');

  step = 'nothing ran';
  const pwned = await page.evaluate(() => window.__pwned);
  if (pwned !== undefined) throw new Error('viewer text ran as script: ' + pwned);
  if (SHOT) await page.screenshot({ path: SHOT, fullPage: true });
  if (problems.length) throw new Error(problems.join('; '));
  console.log('browser: viewer flow ok');
} catch (e) {
  console.error(`browser: step "${step}" failed: ${e.message}`);
  if (problems.length) console.error('also: ' + problems.join('; '));
  process.exitCode = 1;
} finally {
  await browser.close();
}
