// Keeps the server-rendered pages live: a change pushed over server-sent events makes the page fetch its own <main>
// again; forms are posted in the background and their result shown in place. Without this script every page still
// reads, and every form still works, as plain HTML.
(() => {
  'use strict';
  const csrf = document.querySelector('meta[name="fleet-csrf"]')?.content ?? '';
  const live = document.getElementById('live');
  const flash = document.getElementById('flash');
  window.fleetUpdates = [];
  let inFlight = false;
  let again = null;

  const main = () => document.querySelector('main');

  function concerns(change) {
    const page = main()?.dataset.page;
    if (page === 'fleets' || page === 'inbox' || page === 'usage') return true;
    if (page === 'fleet' || page === 'worker' || page === 'kill') return change.root === main().dataset.root;
    return false;
  }

  async function refresh(change) {
    if (inFlight) { again = change; return; }
    inFlight = true;
    try {
      const response = await fetch(location.href, { headers: { 'X-Fleet-Fragment': '1' }, credentials: 'same-origin', cache: 'no-store' });
      if (response.ok) {
        const html = await response.text();
        const focused = document.activeElement;
        const typing = focused && focused.closest('main') && (focused.tagName === 'INPUT' || focused.tagName === 'TEXTAREA') && focused.value;
        if (!typing) {
          const stream = document.getElementById('stream');
          const atEnd = stream && stream.scrollTop + stream.clientHeight >= stream.scrollHeight - 4;
          main().outerHTML = html;
          const next = document.getElementById('stream');
          if (next && (atEnd || !stream)) next.scrollTop = next.scrollHeight;
          enhance();
          if (change) {
            window.fleetUpdates.push({ seq: change.seq, at: change.at, applied: Date.now() });
            document.body.dataset.seq = String(change.seq);
          }
        } else {
          again = change;
          setTimeout(() => { if (again) { const c = again; again = null; refresh(c); } }, 1000);
        }
      }
    } finally {
      inFlight = false;
      if (again) { const c = again; again = null; refresh(c); }
    }
  }

  function connect() {
    const events = new EventSource('/events');
    // Changes are pushed only to a page already listening: what changed between this page's rendering (or a lost
    // connection) and now is fetched once on every (re)connection, or a page waiting on a quiet fleet would never see it.
    events.onopen = () => { live.textContent = 'live'; live.className = 'on'; document.body.dataset.live = '1'; refresh(null); };
    events.onerror = () => { live.textContent = 'reconnecting…'; live.className = 'off'; };
    events.addEventListener('change', e => {
      const change = JSON.parse(e.data);
      if (concerns(change)) refresh(change);
    });
  }

  function show(text, ok) {
    flash.textContent = text;
    flash.className = ok ? 'ok' : 'refused';
  }

  function enhance() {
    for (const form of document.querySelectorAll('main form.act')) {
      if (form.dataset.enhanced) continue;
      form.dataset.enhanced = '1';
      form.addEventListener('submit', async e => {
        e.preventDefault();
        const body = new URLSearchParams(new FormData(form, e.submitter));
        for (const b of form.querySelectorAll('button')) b.disabled = true;
        try {
          const response = await fetch(form.action, {
            method: 'POST', body, credentials: 'same-origin',
            headers: { 'X-CSRF-Token': csrf, 'X-Fleet-Fetch': '1' },
          });
          show(await response.text(), response.ok);
        } catch (err) {
          show('the dashboard did not answer: ' + err, false);
        } finally {
          for (const b of form.querySelectorAll('button')) b.disabled = false;
        }
        refresh(null);
      });
    }
    // An option picked in a question fills that question's answer field.
    for (const radio of document.querySelectorAll('main input[type=radio][data-answer]')) {
      radio.addEventListener('change', () => { const field = document.getElementById(radio.dataset.answer); if (field) field.value = radio.value; });
    }
  }

  enhance();
  connect();
})();
