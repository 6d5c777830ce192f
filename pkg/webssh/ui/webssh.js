// The web terminal page: xterm.js on a websocket to the server.
// Protocol (see pkg/termproto): page -> server binary frames 'i'+input,
// 'r'+cols:u16+rows:u16, 'a'+rendered-bytes:u32; server -> page binary
// frames of raw output and JSON text frames {kind, text}.
(function () {
  'use strict';
  var el = document.getElementById('terminal');
  var statusEl = document.getElementById('status');
  var term = new Terminal({
    cursorBlink: false,
    scrollback: 5000,
    fontSize: 15,
    fontFamily: '"DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace',
  });
  var fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(el);
  fit.fit();
  term.focus();

  // drawSoon renders the rows a write changed at once instead of on the
  // next animation frame. xterm.js draws on requestAnimationFrame, which
  // adds up to a frame (16.7 ms at 60 Hz) between the echo of a keystroke
  // arriving and its text being in the page. Output that answers typing
  // (the echo, a command's short answer: the first 4 KiB within 500 ms of
  // a key) is drawn as soon as it is parsed; the rest, floods included,
  // still once a frame. It uses xterm.js internals of the pinned version
  // (pkg/webssh/ui/package.json) and does nothing without them.
  var debouncer = term._core && term._core._renderService && term._core._renderService._renderDebouncer;
  if (!debouncer || typeof debouncer._innerRefresh !== 'function' || !('_animationFrame' in debouncer)) debouncer = null;
  var typedAt = -1e9, answered = 0;
  function drawSoon() {
    if (!debouncer || !debouncer._animationFrame || answered > 4096 || performance.now() - typedAt > 500) return;
    window.cancelAnimationFrame(debouncer._animationFrame);
    debouncer._innerRefresh();
  }

  var enc = new TextEncoder();
  var ws = null;
  var ended = true;
  var notice = null; // the server's last {kind, text} notice
  var msgs = window.WebsshMessages;        // messages.js: English and Chinese
  var keybar = window.WebsshKeybar ? window.WebsshKeybar(term) : null; // keybar.js: touch screens
  var processed = 0; // rendered output bytes, modulo 2^32
  var unacked = 0;   // rendered bytes not yet acknowledged
  var pending = 0;   // writes handed to xterm and not yet rendered

  var queued = []; // input typed while the websocket is connecting
  function send(m) {
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) ws.send(m);
    else if (ws.readyState === WebSocket.CONNECTING && m[0] === 0x69 && queued.length < 256) queued.push(m);
  }
  function sendInput(u8) {
    for (var i = 0; i < u8.length; i += 16384) {
      var c = u8.subarray(i, i + 16384);
      var m = new Uint8Array(c.length + 1);
      m[0] = 0x69; // 'i'
      m.set(c, 1);
      send(m);
    }
  }
  function sendResize() {
    var m = new Uint8Array(5);
    var v = new DataView(m.buffer);
    m[0] = 0x72; // 'r'
    v.setUint16(1, term.cols);
    v.setUint16(3, term.rows);
    send(m);
  }
  function sendAck() {
    var m = new Uint8Array(5);
    m[0] = 0x61; // 'a'
    new DataView(m.buffer).setUint32(1, processed >>> 0);
    send(m);
    unacked = 0;
  }
  function setStatus(s) { statusEl.textContent = s; }

  function finish() {
    if (ended) return;
    ended = true;
    ws = null;
    var m = msgs.ended(notice);
    term.write('\r\n\x1b[0m\x1b[1m' + m.lines.slice(0, -2).join('\r\n') + '\x1b[0m\r\n' +
      m.lines.slice(-2).join('\r\n') + '\r\n');
    setStatus(m.status);
  }

  function connect() {
    ended = false;
    notice = null;
    processed = 0;
    unacked = 0;
    pending = 0;
    queued = [];
    term.reset();
    setStatus(msgs.connecting);
    var base = location.pathname.replace(/[^/]*$/, '');
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + base + 'ws';
    var sock = new WebSocket(url);
    sock.binaryType = 'arraybuffer';
    ws = sock;
    sock.onopen = function () {
      setStatus('');
      fit.fit();
      sendResize();
      var q = queued;
      queued = [];
      q.forEach(send);
    };
    sock.onmessage = function (ev) {
      if (sock !== ws) return;
      if (typeof ev.data === 'string') {
        try {
          var n = JSON.parse(ev.data);
          if (n && typeof n.text === 'string') notice = n;
        } catch (e) { /* ignore a malformed notice */ }
        return;
      }
      var data = new Uint8Array(ev.data);
      pending++;
      term.write(data, function () {
        processed = (processed + data.length) % 4294967296;
        unacked += data.length;
        pending--;
        answered += data.length;
        if (pending === 0) drawSoon();
        if (pending === 0 || unacked >= 65536) sendAck();
      });
    };
    sock.onclose = function () {
      if (sock === ws) finish();
    };
  }

  term.onData(function (d) {
    if (keybar) d = keybar.modify(d);
    typedAt = performance.now();
    answered = 0;
    if (ended) {
      if (d === '\r') connect();
      return;
    }
    sendInput(enc.encode(d));
  });
  term.onBinary(function (d) {
    if (ended) return;
    var u = new Uint8Array(d.length);
    for (var i = 0; i < d.length; i++) u[i] = d.charCodeAt(i) & 0xff;
    sendInput(u);
  });
  term.onResize(function () { sendResize(); });

  // Copy: Ctrl+Shift+C copies the selection; Ctrl+Shift+V is left to the
  // browser, whose paste event xterm.js turns into input. Plain Ctrl+C
  // stays an interrupt.
  function copyText(s) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(s);
      return;
    }
    var ta = document.createElement('textarea');
    ta.value = s;
    document.body.appendChild(ta);
    ta.select();
    try { document.execCommand('copy'); } catch (e) { /* nothing to do */ }
    document.body.removeChild(ta);
    term.focus();
  }
  term.attachCustomKeyEventHandler(function (e) {
    if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.code === 'KeyC') {
      var s = term.getSelection();
      if (s) copyText(s);
      e.preventDefault();
      return false;
    }
    if (e.ctrlKey && e.shiftKey && e.code === 'KeyV') return false;
    return true;
  });

  var resizeTimer = 0;
  function refit() {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { fit.fit(); }, 50);
  }
  window.addEventListener('resize', refit);
  if (window.ResizeObserver) new ResizeObserver(refit).observe(el);

  window.webssh = { term: term, fit: fit, connect: connect };
  connect();
})();
