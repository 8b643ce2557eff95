// weft console: live parts, filters that apply on change, and the log viewer. Plain JavaScript,
// no build step. Everything from the server that is not already-escaped HTML (log lines, step
// names) is put into the page with textContent, never innerHTML.
(function () {
  'use strict';

  // Live parts: an element with data-live="<url>" is replaced by the "html" its URL answers
  // (server-rendered and escaped), every two seconds while the page is visible.
  function live(el) {
    var url = el.getAttribute('data-live');
    var last = null;
    var busy = false;
    function tick() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (j && typeof j.html === 'string' && j.html !== last) {
            if (last !== null || el.innerHTML !== j.html) el.innerHTML = j.html;
            last = j.html;
          }
        })
        .catch(function () { /* the next tick tries again */ })
        .then(function () { busy = false; });
    }
    setInterval(tick, 2000);
  }

  // ANSI SGR to spans. Other escape sequences (cursor movement, erase) are dropped.
  var SGR = /\x1b\[([0-9;]*)m/g;
  var OTHER = /\x1b\[[0-?]*[ -\/]*[@-~]|\x1b[@-Z\\-_]/g;
  var PALETTE = ['#000000', '#cd3131', '#0dbc79', '#e5e510', '#2472c8', '#bc3fbc', '#11a8cd', '#e5e5e5',
    '#666666', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff'];
  function color256(n) {
    if (n < 16) return PALETTE[n];
    if (n < 232) {
      n -= 16;
      var v = [0, 95, 135, 175, 215, 255];
      return 'rgb(' + v[Math.floor(n / 36)] + ',' + v[Math.floor(n / 6) % 6] + ',' + v[n % 6] + ')';
    }
    var g = 8 + (n - 232) * 10;
    return 'rgb(' + g + ',' + g + ',' + g + ')';
  }
  function ansi(text, into) {
    var st = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
    var pos = 0;
    var m;
    function emit(s) {
      s = s.replace(OTHER, '');
      if (!s) return;
      var plain = st.fg === null && st.bg === null && !st.bold && !st.dim && !st.italic && !st.underline;
      if (plain) { into.appendChild(document.createTextNode(s)); return; }
      var span = document.createElement('span');
      span.textContent = s;
      // The 16 basic colours are classes, so each colour scheme picks readable shades; 256-colour
      // and true-colour values are set through the CSSOM, which the page's CSP allows.
      if (typeof st.fg === 'number') span.classList.add('a-fg-' + st.fg); else if (st.fg) span.style.color = st.fg;
      if (typeof st.bg === 'number') span.classList.add('a-bg-' + st.bg); else if (st.bg) span.style.backgroundColor = st.bg;
      if (st.bold) span.classList.add('a-bold');
      if (st.dim) span.classList.add('a-dim');
      if (st.italic) span.classList.add('a-italic');
      if (st.underline) span.classList.add('a-underline');
      into.appendChild(span);
    }
    SGR.lastIndex = 0;
    while ((m = SGR.exec(text)) !== null) {
      emit(text.slice(pos, m.index));
      pos = SGR.lastIndex;
      var codes = m[1] === '' ? [0] : m[1].split(';').map(Number);
      for (var i = 0; i < codes.length; i++) {
        var c = codes[i];
        if (c === 0) st = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
        else if (c === 1) st.bold = true;
        else if (c === 2) st.dim = true;
        else if (c === 3) st.italic = true;
        else if (c === 4) st.underline = true;
        else if (c === 22) { st.bold = false; st.dim = false; }
        else if (c === 23) st.italic = false;
        else if (c === 24) st.underline = false;
        else if (c >= 30 && c <= 37) st.fg = c - 30;
        else if (c >= 90 && c <= 97) st.fg = c - 90 + 8;
        else if (c >= 40 && c <= 47) st.bg = c - 40;
        else if (c >= 100 && c <= 107) st.bg = c - 100 + 8;
        else if (c === 39) st.fg = null;
        else if (c === 49) st.bg = null;
        else if ((c === 38 || c === 48) && codes[i + 1] === 5 && i + 2 < codes.length) {
          var col = (codes[i + 2] & 255) < 16 ? (codes[i + 2] & 255) : color256(codes[i + 2] & 255);
          if (c === 38) st.fg = col; else st.bg = col;
          i += 2;
        } else if ((c === 38 || c === 48) && codes[i + 1] === 2 && i + 4 < codes.length) {
          var rgb = 'rgb(' + (codes[i + 2] & 255) + ',' + (codes[i + 3] & 255) + ',' + (codes[i + 4] & 255) + ')';
          if (c === 38) st.fg = rgb; else st.bg = rgb;
          i += 4;
        }
      }
    }
    emit(text.slice(pos));
  }

  function duration(ms) {
    if (!(ms >= 0)) return '';
    var s = Math.round(ms / 1000);
    if (s >= 3600) return Math.floor(s / 3600) + 'h' + String(Math.floor((s % 3600) / 60)).padStart(2, '0') + 'm';
    if (s >= 60) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
    return s + 's';
  }

  // The log viewer: one <details> per step, as the appview shows them; system steps (no
  // step_kind) start collapsed, user steps open. At most MAX_LINES lines are kept in the page.
  var MAX_LINES = 20000;
  function logViewer(el) {
    var state = document.getElementById('log-state');
    var steps = {};
    var lines = 0;
    var truncated = false;
    function say(t) { if (state) state.textContent = t; }
    function step(id, name, kind, command, time) {
      var s = steps[id];
      if (s) return s;
      var d = document.createElement('details');
      d.className = 'step ' + (kind === 1 ? 'user' : 'system');
      d.open = kind === 1;
      d.setAttribute('data-step', String(id));
      var sum = document.createElement('summary');
      var n = document.createElement('span');
      n.className = 'step-name';
      n.textContent = name;
      sum.appendChild(n);
      if (command) {
        var c = document.createElement('code');
        c.className = 'step-cmd';
        c.textContent = command;
        sum.appendChild(c);
      }
      var dur = document.createElement('span');
      dur.className = 'step-dur';
      sum.appendChild(dur);
      var body = document.createElement('div');
      body.className = 'lines';
      d.appendChild(sum);
      d.appendChild(body);
      el.appendChild(d);
      s = { el: d, body: body, dur: dur, start: time ? Date.parse(time) : NaN };
      steps[id] = s;
      return s;
    }
    var proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var ws = new WebSocket(proto + location.host + el.getAttribute('data-stream'));
    ws.onopen = function () { say('streaming'); };
    ws.onerror = function () { say('the log stream is not available'); };
    ws.onclose = function () { say(lines === 0 ? 'no log lines' : 'end of log'); el.setAttribute('data-ended', 'true'); };
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      var id = typeof f.step_id === 'number' ? f.step_id : 0;
      if (f.kind === 'control') {
        var s = step(id, f.content || ('step ' + id), f.step_kind, f.step_command, f.time);
        if (f.step_status === 'end') {
          s.el.classList.add('ended');
          s.dur.textContent = duration(Date.parse(f.time) - s.start);
        }
        return;
      }
      if (lines >= MAX_LINES) {
        if (!truncated) { truncated = true; say('showing the first ' + MAX_LINES + ' lines'); }
        return;
      }
      var st = step(id, 'step ' + id, 1, '', f.time);
      var line = document.createElement('div');
      line.className = 'line' + (f.stream === 'stderr' ? ' stderr' : '');
      ansi(String(f.content || ''), line);
      st.body.appendChild(line);
      lines++;
      el.setAttribute('data-lines', String(lines));
    };
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-live]'), live);
    Array.prototype.forEach.call(document.querySelectorAll('form.filters select'), function (s) {
      s.addEventListener('change', function () { s.form.submit(); });
    });
    var log = document.getElementById('log');
    if (log && log.getAttribute('data-stream')) logViewer(log);
  });
})();
