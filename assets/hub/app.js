// Kaibo hub viewer page. Viewer text is data: it is only ever put in the page with
// textContent (never innerHTML), so markup in a question stays text.
'use strict';

const TEXT = {
  zh: {
    title: '直播互动', privacyTitle: '参与前请阅读', nicknameLabel: '昵称（可不填）',
    privacyText: '我们只保存你填写的昵称（可不填）以及你在本场直播中的提问、点赞、投票、评分和抽奖记录，用于本场互动和主播的统计。昵称、手机号、证件号在展示时会被遮挡（如 张**、138****5678）。不收集其他个人信息。',
    accept: '我已阅读并同意', join: '进入互动', mustAccept: '请先勾选同意隐私说明',
    askLabel: '向主播提问', send: '发送', questions: '大家的问题（按点赞排序）', rate: '为本场直播评分',
    enter: '参与抽奖', entered: '已参与，祝你好运！', opensIn: '距开始', closesIn: '距截止', closed: '已截止',
    winners: '中奖名单', held: '审核中', pinned: '主播正在回答', answered: '已回答', sent: '已发送',
    sentHeld: '已提交，审核通过后显示', rated: '感谢评分！', votes: '票', voted: '已投票', pollClosed: '投票已结束',
    me: '你的昵称：', live: '实时连接中', reconnecting: '连接中断，正在重连…', offerEnds: '剩余',
    noDraw: '当前没有抽奖', star: '星',
  },
  en: {
    title: 'Live interaction', privacyTitle: 'Before you join', nicknameLabel: 'Nickname (optional)',
    privacyText: 'We keep only the nickname you enter (optional) and your questions, likes, votes, rating and draw entries in this live session, for the session itself and the host\'s statistics. Nicknames, phone and ID numbers are masked wherever shown (e.g. Z**, 138****5678). Nothing else about you is collected.',
    accept: 'I have read and agree', join: 'Join', mustAccept: 'Please accept the privacy notice first',
    askLabel: 'Ask the host', send: 'Send', questions: 'Questions (most liked first)', rate: 'Rate this session',
    enter: 'Enter the draw', entered: 'You are in. Good luck!', opensIn: 'Opens in', closesIn: 'Closes in', closed: 'Closed',
    winners: 'Winners', held: 'In review', pinned: 'On stream now', answered: 'Answered', sent: 'Sent',
    sentHeld: 'Sent; it shows once the host approves it', rated: 'Thanks for rating!', votes: 'votes', voted: 'Voted',
    pollClosed: 'Voting has closed', me: 'You are: ', live: 'Live', reconnecting: 'Reconnecting…', offerEnds: 'Ends in',
    noDraw: 'No draw right now', star: 'stars',
  },
};

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
};

const S = {
  lang: localStorage.getItem('kaibo-hub-lang') || (navigator.language.startsWith('zh') ? 'zh' : 'en'),
  token: localStorage.getItem('kaibo-hub-token'),
  questions: new Map(), poll: null, lottery: null, overlay: { panels: [] }, me: null,
  clockSkew: 0, stream: null,
};
const t = (key) => TEXT[S.lang][key] || key;

function applyLanguage() {
  document.documentElement.lang = S.lang === 'zh' ? 'zh-CN' : 'en';
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  $('lang').textContent = S.lang === 'zh' ? 'EN' : '中文';
  renderAll();
}

async function api(method, path, body) {
  const headers = {};
  if (S.token) headers.Authorization = 'Bearer ' + S.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  return { status: res.status, data };
}

// ---- join ----
async function join() {
  if (!$('accept').checked) { $('join-error').textContent = t('mustAccept'); return; }
  const r = await api('POST', '/api/v1/join', { nickname: $('nickname').value, accept_privacy: true });
  if (r.status !== 201) { $('join-error').textContent = r.data ? r.data.message : String(r.status); return; }
  S.token = r.data.token;
  localStorage.setItem('kaibo-hub-token', S.token);
  await start();
}

async function start() {
  const ok = await loadState();
  if (!ok) { S.token = null; localStorage.removeItem('kaibo-hub-token'); showJoin(); return; }
  $('join-view').hidden = true;
  $('live-view').hidden = false;
  connect();
}

function showJoin() { $('join-view').hidden = false; $('live-view').hidden = true; }

async function loadState() {
  const r = await api('GET', '/api/v1/state');
  if (r.status !== 200) return false;
  const s = r.data;
  S.me = s.me;
  S.clockSkew = s.now_ms - Date.now();
  S.questions = new Map(s.questions.map((q) => [q.id, q]));
  S.poll = s.poll;
  S.lottery = s.lottery;
  S.overlay = s.overlay;
  renderAll();
  return true;
}

// ---- live updates: server-sent events read with fetch (so the token goes in a header) ----
async function connect() {
  if (S.stream) return;
  const controller = new AbortController();
  S.stream = controller;
  try {
    const res = await fetch('/api/v1/events', { headers: { Authorization: 'Bearer ' + S.token }, signal: controller.signal });
    if (!res.ok || !res.body) throw new Error('events ' + res.status);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        handleFrame(frame);
      }
    }
  } catch (_) { /* reconnect below */ }
  S.stream = null;
  $('conn').textContent = t('reconnecting');
  setTimeout(async () => { if (await loadState()) connect(); else setTimeout(connect, 2000); }, 2000);
}

function handleFrame(frame) {
  let event = 'message';
  let data = '';
  for (const line of frame.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).replace(/^ /, '');
  }
  if (event === 'ready') { $('conn').textContent = t('live'); document.body.dataset.live = '1'; return; }
  if (event === 'resync') { loadState(); return; }
  if (event !== 'update') return;
  for (const u of JSON.parse(data)) applyUpdate(u);
  renderAll();
}

function applyUpdate(u) {
  if (u.type === 'question') {
    const old = S.questions.get(u.data.id);
    S.questions.set(u.data.id, { ...u.data, mine: old ? old.mine : false, liked: old ? old.liked : false });
  } else if (u.type === 'question-removed') {
    S.questions.delete(u.data.id);
  } else if (u.type === 'poll') {
    const voted = S.poll && S.poll.id === u.data.id ? S.poll.voted : null;
    if (!S.poll || S.poll.id === u.data.id || u.data.state === 'open') S.poll = { ...u.data, voted };
  } else if (u.type === 'lottery') {
    const entered = S.lottery && S.lottery.id === u.data.id ? S.lottery.entered : false;
    S.lottery = { ...u.data, entered };
  } else if (u.type === 'overlay') {
    S.overlay = u.data;
  }
}

// ---- rendering (textContent only) ----
function pinnedId() {
  const p = S.overlay.panels.find((x) => x.content.kind === 'question');
  return p ? Number(p.id.replace('question-', '')) : null;
}

function renderQuestions() {
  const list = $('question-list');
  list.replaceChildren();
  const pinned = pinnedId();
  const qs = [...S.questions.values()].sort((a, b) => b.likes - a.likes || a.id - b.id);
  for (const q of qs) {
    const li = el('li', q.id === pinned ? 'pinned' : '');
    li.dataset.id = q.id;
    li.append(el('p', 'text', q.text));
    const meta = el('span', 'meta', q.asker);
    if (q.id === pinned) meta.append(el('span', 'badge pin', t('pinned')));
    if (q.status === 'held') meta.append(el('span', 'badge held', t('held')));
    if (q.answered) meta.append(el('span', 'badge', t('answered')));
    li.append(meta);
    const like = el('button', 'like', '♥ ' + q.likes);
    like.type = 'button';
    like.disabled = q.liked || q.status !== 'visible';
    like.setAttribute('aria-label', 'like ' + q.id);
    like.addEventListener('click', () => likeQuestion(q.id));
    li.append(like);
    list.append(li);
  }
}

function renderPoll() {
  const p = S.poll;
  $('poll').hidden = !p;
  if (!p) return;
  $('poll-title').textContent = p.title;
  const total = p.options.reduce((n, o) => n + o.votes, 0);
  const canVote = p.state === 'open' && p.voted == null;
  const ul = $('poll-options');
  ul.replaceChildren();
  p.options.forEach((o, i) => {
    const b = el('button', i === p.voted ? 'chosen' : '');
    b.type = 'button';
    b.disabled = !canVote;
    const bar = el('span', 'bar');
    bar.style.width = (total ? Math.round((o.votes * 100) / total) : 0) + '%';
    b.append(bar, el('span', 'label', o.label), el('span', 'votes', o.votes + ' ' + t('votes')));
    b.addEventListener('click', () => vote(p.id, i));
    const li = el('li');
    li.append(b);
    ul.append(li);
  });
  $('poll-status').textContent = p.state !== 'open' ? t('pollClosed') : p.voted != null ? t('voted') : '';
}

function fmt(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return (m ? m + ':' + String(s % 60).padStart(2, '0') : s + 's');
}

function renderLottery() {
  const l = S.lottery;
  $('lottery').hidden = !l;
  if (!l) return;
  const now = Date.now() + S.clockSkew;
  $('lottery-title').textContent = l.title;
  const open = now >= l.opens_at_ms && now < l.closes_at_ms && !l.winners;
  let status = now < l.opens_at_ms ? t('opensIn') + ' ' + fmt(l.opens_at_ms - now)
    : open ? t('closesIn') + ' ' + fmt(l.closes_at_ms - now) : t('closed');
  if (l.entered) status += ' · ' + t('entered');
  $('lottery-status').textContent = status;
  $('enter').disabled = !open || l.entered;
  const w = $('winners');
  w.replaceChildren();
  if (l.winners) {
    w.append(el('li', 'muted', t('winners')));
    for (const name of l.winners) w.append(el('li', 'winner', name));
  }
}

function renderOffer() {
  const p = S.overlay.panels.find((x) => x.content.kind === 'offer');
  $('offer').hidden = !p;
  if (!p) return;
  $('offer-title').textContent = p.content.title;
  $('offer-detail').textContent = p.content.detail;
  const end = p.content.ends_at_ms;
  $('offer-countdown').textContent = end ? t('offerEnds') + ' ' + fmt(end - (Date.now() + S.clockSkew)) : '';
}

function renderStars(mine) {
  const box = $('stars');
  box.replaceChildren();
  for (let i = 1; i <= 5; i++) {
    const b = el('button', mine && i <= mine ? 'on' : 'off', '★');
    b.type = 'button';
    b.setAttribute('aria-label', i + ' ' + t('star'));
    b.addEventListener('click', () => rate(i));
    box.append(b);
  }
}

function renderAll() {
  if (S.me) $('me').textContent = t('me') + S.me.name;
  renderQuestions();
  renderPoll();
  renderLottery();
  renderOffer();
}

// ---- actions ----
async function ask() {
  const text = $('question').value;
  if (!text.trim()) return;
  const r = await api('POST', '/api/v1/questions', { text });
  if (r.status !== 201) { $('ask-status').textContent = r.data ? r.data.message : String(r.status); return; }
  $('question').value = '';
  $('count').textContent = '0/300';
  S.questions.set(r.data.id, r.data);
  $('ask-status').textContent = r.data.status === 'held' ? t('sentHeld') : t('sent');
  renderQuestions();
}

async function likeQuestion(id) {
  const r = await api('POST', '/api/v1/questions/' + id + '/like');
  if (r.status === 200 || r.status === 409) {
    const q = S.questions.get(id);
    if (q) S.questions.set(id, { ...q, ...(r.status === 200 ? r.data : {}), liked: true });
    renderQuestions();
  }
}

async function vote(poll, option) {
  const r = await api('POST', '/api/v1/polls/' + poll + '/vote', { option });
  if (r.status === 200) S.poll = r.data;
  else if (S.poll) S.poll = { ...S.poll, voted: r.data && r.data.error === 'already-voted' ? option : S.poll.voted };
  renderPoll();
}

async function rate(stars) {
  const r = await api('POST', '/api/v1/rating', { stars });
  if (r.status === 200) { renderStars(stars); $('rating-status').textContent = t('rated'); }
}

async function enter() {
  const r = await api('POST', '/api/v1/lottery/enter');
  if (r.status === 200) S.lottery = r.data;
  else if (r.data && r.data.error === 'already-entered' && S.lottery) S.lottery.entered = true;
  renderLottery();
}

document.addEventListener('DOMContentLoaded', () => {
  $('join').addEventListener('click', join);
  $('send').addEventListener('click', ask);
  $('enter').addEventListener('click', enter);
  $('question').addEventListener('input', () => { $('count').textContent = $('question').value.length + '/300'; });
  $('lang').addEventListener('click', () => {
    S.lang = S.lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('kaibo-hub-lang', S.lang);
    applyLanguage();
  });
  renderStars(0);
  applyLanguage();
  setInterval(() => { renderLottery(); renderOffer(); }, 500);
  if (S.token) start(); else showJoin();
});
