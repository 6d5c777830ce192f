// The web terminal page: xterm.js on a websocket to the server, or, when
// no websocket gets through (a proxy that drops Upgrade, like the cloud
// front end's nginx), on the HTTP transport: output streamed on one POST
// /stream response, the page's messages in batches on POST /input.
// Protocol (see pkg/termproto): page -> server messages 'i'+input,
// 'r'+cols:u16+rows:u16, 'a'+rendered-bytes:u32; server -> page raw
// output and JSON notices {kind, text}. The transport in use is in
// <html data-transport="websocket|http">.
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

  // The page keeps the animation frame callbacks (xterm.js draws on
  // window.requestAnimationFrame) and runs them itself, for two reasons.
  // drawSoon: output that answers typing (the echo, a command's short
  // answer: the first 4 KiB within 500 ms of a key) is put into the page
  // as soon as it is parsed, not up to a frame (16.7 ms at 60 Hz) later.
  // Floods: while xterm.js has output it has not parsed yet (a backlog),
  // the page draws at most every floodFrameMs; every frame drawn during
  // a flood is style, layout and paint taken from parsing, on the thread
  // that does both, and nobody reads 60 screens a second. Only the
  // browser's own API is wrapped: nothing of xterm.js's but its public
  // one is used, and should a version draw otherwise, the page simply
  // draws on frames.
  var floodFrameMs = 100;
  var rafs = new Map(); // waiting animation frame callbacks, by the page's id
  var rafId = 0, frame = 0, drawnAt = -1e9;
  var nativeRAF = window.requestAnimationFrame, nativeCAF = window.cancelAnimationFrame;
  window.requestAnimationFrame = function (cb) {
    rafs.set(++rafId, cb);
    if (!frame) frame = nativeRAF.call(window, onFrame);
    return rafId;
  };
  window.cancelAnimationFrame = function (id) { rafs.delete(id); };
  function onFrame(ts) {
    frame = 0;
    if (rafs.size === 0) return;
    if (pending > 0 && !answering() && ts - drawnAt < floodFrameMs) {
      frame = nativeRAF.call(window, onFrame);
      return;
    }
    runFrames(ts);
  }
  function runFrames(ts) {
    drawnAt = ts;
    var due = Array.from(rafs.values());
    rafs.clear();
    due.forEach(function (f) {
      try { f(ts); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }
  var typedAt = -1e9, answered = 0;
  function answering() { return answered <= 4096 && performance.now() - typedAt <= 500; }
  function drawSoon() {
    if (rafs.size === 0 || !answering()) return;
    if (frame) nativeCAF.call(window, frame);
    frame = 0;
    runFrames(performance.now());
  }

  var enc = new TextEncoder();
  var dec = new TextDecoder();
  var cur = null;      // the open transport
  var ready = false;   // cur can send
  var transport = '';  // the transport that last worked: reconnects use it
  var ended = true;
  var notice = null; // the server's last {kind, text} notice
  var msgs = window.WebsshMessages;        // messages.js: English and Chinese
  var keybar = window.WebsshKeybar ? window.WebsshKeybar(term) : null; // keybar.js: touch screens
  var processed = 0; // rendered output bytes, modulo 2^32
  var unacked = 0;   // rendered bytes not yet acknowledged
  var pending = 0;   // writes handed to xterm.js and not yet parsed (a backlog)

  var queued = []; // input typed while the transport is connecting
  function send(m) {
    if (!cur) return;
    if (ready) cur.send(m);
    else if (m[0] === 0x69 && queued.length < 256) queued.push(m);
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
  function parseNotice(json) {
    try {
      var n = JSON.parse(json);
      if (n && typeof n.text === 'string') return n;
    } catch (e) { /* ignore a malformed notice */ }
    return null;
  }

  function finish() {
    if (ended) return;
    ended = true;
    cur = null;
    ready = false;
    var m = msgs.ended(notice);
    term.write('\r\n\x1b[0m\x1b[1m' + m.lines.slice(0, -2).join('\r\n') + '\x1b[0m\r\n' +
      m.lines.slice(-2).join('\r\n') + '\r\n');
    setStatus(m.status);
  }

  var base = location.pathname.replace(/[^/]*$/, '');

  // A transport opens one session and calls h.opened(), h.output(bytes),
  // h.notice({kind, text}) and, once, h.closed(heardAnything). It offers
  // send(message) once opened, and close().
  function openWebSocket(h) {
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + base + 'ws';
    var sock = new WebSocket(url);
    sock.binaryType = 'arraybuffer';
    var heard = false;
    // A proxy may hold a websocket it cannot pass: give up after 10 s.
    var timer = setTimeout(function () { sock.close(); }, 10000);
    sock.onopen = function () { clearTimeout(timer); h.opened(); };
    sock.onmessage = function (ev) {
      heard = true;
      if (typeof ev.data === 'string') h.notice(parseNotice(ev.data));
      else h.output(new Uint8Array(ev.data));
    };
    sock.onclose = function () { clearTimeout(timer); h.closed(heard); };
    return {
      name: 'websocket',
      send: function (m) { if (sock.readyState === WebSocket.OPEN) sock.send(m); },
      close: function () { sock.close(); },
    };
  }

  function openHTTP(h) {
    var ctl = new AbortController();
    var id = '';
    var done = false;
    // Two lanes, each one POST at a time so that its messages stay in
    // order: input and resizes, and acknowledgements (only the newest
    // matters), so that a keystroke never waits behind an ack.
    // The POSTs leave from a worker (static/inputworker.js) where there
    // is one, from the page otherwise.
    function lane(n) { return { n: n, q: [], busy: false, body: null, retry: null }; }
    var keys = lane(0), acks = lane(1), lanes = [keys, acks];
    function postDone(l, ok) {
      l.busy = false;
      if (ok) post(l);
    }
    var w = null;
    try {
      w = new Worker(base + 'static/inputworker.js');
      w.onmessage = function (ev) { var l = lanes[ev.data && ev.data.lane]; if (l) postDone(l, ev.data.answered); };
      // A worker that cannot run (its script not loaded): the page
      // posts itself, starting with the batches the worker had.
      w.onerror = function (e) {
        if (e && e.preventDefault) e.preventDefault();
        w.terminate();
        w = null;
        lanes.forEach(function (l) {
          if (!l.busy) return;
          l.busy = false;
          l.retry = l.body;
          post(l);
        });
      };
    } catch (e) {
      w = null;
    }
    var inputURL = new URL(base + 'input', location.href).href;
    function post(l) {
      if (l.busy || !id || done || (l.q.length === 0 && !l.retry)) return;
      var body = l.retry;
      l.retry = null;
      if (!body) {
        var size = 0, n = 0;
        while (n < l.q.length && size + l.q[n].length + 2 <= 65536) size += l.q[n++].length + 2;
        body = new Uint8Array(size);
        for (var i = 0, off = 0; i < n; i++) {
          var m = l.q[i];
          body[off] = m.length >> 8;
          body[off + 1] = m.length & 0xff;
          body.set(m, off + 2);
          off += m.length + 2;
        }
        l.q = l.q.slice(n);
      }
      l.busy = true;
      l.body = body;
      if (w) {
        w.postMessage({ url: inputURL, id: id, lane: l.n, body: body.buffer });
        return;
      }
      var hdr = { 'Content-Type': 'application/octet-stream' };
      hdr['X-Webssh-Session'] = id;
      fetch(inputURL, { method: 'POST', headers: hdr, body: body, cache: 'no-store', signal: ctl.signal })
        .then(function () { postDone(l, true); }, function () { postDone(l, false); });
    }
    function end() {
      if (done) return;
      done = true;
      ctl.abort();
      if (w) w.terminate();
      h.closed(true);
    }
    var buf = new Uint8Array(0);
    function concat(parts) {
      var n = 0, i;
      for (i = 0; i < parts.length; i++) n += parts[i].length;
      var u = new Uint8Array(n);
      for (i = 0, n = 0; i < parts.length; i++) { u.set(parts[i], n); n += parts[i].length; }
      return u;
    }
    function frames(chunk) {
      if (buf.length === 0) buf = chunk;
      else {
        var b = new Uint8Array(buf.length + chunk.length);
        b.set(buf);
        b.set(chunk, buf.length);
        buf = b;
      }
      var off = 0, out = [];
      while (buf.length - off >= 5) {
        var len = buf[off + 1] * 16777216 + (buf[off + 2] << 16) + (buf[off + 3] << 8) + buf[off + 4];
        if (buf.length - off - 5 < len) break;
        var kind = buf[off], p = buf.subarray(off + 5, off + 5 + len);
        off += 5 + len;
        if (kind === 0x73) { // 's': the session's id, first
          id = dec.decode(p);
          h.opened();
          post(keys);
          post(acks);
        } else if (kind === 0x6f) { // 'o': output
          out.push(p);
        } else if (kind === 0x6e) { // 'n': notice
          h.notice(parseNotice(dec.decode(p)));
        } // 'k': keep-alive
      }
      // The output frames of one chunk go to xterm.js as one write: one
      // parse, one callback (a second write would wait for a task of its
      // own).
      if (out.length === 1) h.output(out[0]);
      else if (out.length > 1) h.output(concat(out));
      buf = buf.subarray(off);
    }
    fetch(base + 'stream', { method: 'POST', cache: 'no-store', signal: ctl.signal }).then(function (resp) {
      if (!resp.ok) {
        return resp.text().then(function (t) {
          h.notice({ kind: resp.status === 503 ? 'busy' : 'error', text: t.trim() || ('HTTP ' + resp.status) });
          end();
        });
      }
      var reader = resp.body.getReader();
      function pump() {
        return reader.read().then(function (r) {
          if (done) return;
          if (r.done) { end(); return; }
          frames(r.value);
          return pump();
        });
      }
      return pump();
    }).catch(function () { end(); });
    return {
      name: 'http',
      send: function (m) {
        if (m[0] === 0x61) { // 'a': a running total, the newest replaces the rest
          acks.q = [m];
          post(acks);
        } else {
          keys.q.push(m);
          post(keys);
        }
      },
      close: function () { end(); },
    };
  }

  // start opens a session on open (a transport); a websocket that closes
  // before a single byte came through falls back to the HTTP transport.
  function start(open) {
    var t = open({
      opened: function () {
        if (t !== cur) return;
        ready = true;
        transport = t.name;
        document.documentElement.setAttribute('data-transport', t.name);
        setStatus('');
        fit.fit();
        sendResize();
        var q = queued;
        queued = [];
        q.forEach(send);
      },
      output: function (data) {
        if (t !== cur) return;
        // xterm.js parses the first write after user input at once, any
        // other in a timer task, which Chromium holds until its next frame
        // after a key: output that answers typing (as drawSoon, below) is
        // marked as following user input (an empty input through the
        // public API, ignored by onData) so that it is parsed now.
        if (pending === 0 && answering()) term.input('', true);
        pending++;
        term.write(data, function () {
          processed = (processed + data.length) % 4294967296;
          unacked += data.length;
          pending--;
          answered += data.length;
          if (pending === 0) drawSoon();
          if (pending === 0 || unacked >= 65536) sendAck();
        });
      },
      notice: function (n) { if (t === cur && n) notice = n; },
      closed: function (heard) {
        if (t !== cur) return;
        if (!heard && t.name === 'websocket') {
          ready = false;
          start(openHTTP);
          return;
        }
        finish();
      },
    });
    cur = t;
  }

  function connect() {
    ended = false;
    notice = null;
    processed = 0;
    unacked = 0;
    pending = 0;
    queued = [];
    ready = false;
    term.reset();
    setStatus(msgs.connecting);
    start(transport === 'http' ? openHTTP : openWebSocket);
  }

  term.onData(function (d) {
    if (d === '') return; // the output handler's mark (above)
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
  window.addEventListener('pagehide', function () { if (cur) cur.close(); });
  connect();
})();
